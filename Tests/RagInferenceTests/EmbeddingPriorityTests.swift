import Foundation
import RagInference
import RagTesting
import Testing

/// A question's embedding does not wait for an ingest's embedding work queued before it.
@Suite struct EmbeddingPriorityTests {
    @Test func aQuestionOvertakesARunningIngest() async throws {
        let model = try TestModels.embedder.get()
        // 96 texts of ~250 tokens: 96 llama_encode calls, about ten seconds of work on an idle
        // machine, so that scheduling delays of a busy test run cannot reverse the order.
        let passages = (0..<96).map { i in
            "Passage \(i). " + String(repeating: "The quarterly report lists every invoice and its due date. ", count: 24)
        }
        // Both sides run on threads of their own, not on the cooperative pool: other suites'
        // synchronous tests can occupy the pool's two threads for minutes, and the clock
        // readings below must not wait for them.
        let ingestThread = ThreadTaskExecutor(name: "test.ingest")
        let questionThread = ThreadTaskExecutor(name: "test.question")
        defer {
            ingestThread.shutdown()
            questionThread.shutdown()
        }
        let ingest = Task(executorPreference: ingestThread, priority: .utility) { () -> ContinuousClock.Instant in
            _ = try await model.embed(passages)
            return ContinuousClock.now
        }
        let question = Task(executorPreference: questionThread, priority: .medium) {
            try await Task.sleep(for: .milliseconds(300))  // the ingest is encoding by now
            let asked = ContinuousClock.now
            let vector = try await model.embed("How do I reset my password?")
            return (asked: asked, answered: ContinuousClock.now, dimensions: vector.count)
        }
        let (asked, questionDone, dimensions) = try await question.value
        let ingestDone = try await ingest.value
        #expect(dimensions == model.dimensions)
        try #require(asked < ingestDone, "the question was asked after the ingest had finished: nothing to overtake")
        // Without priority and yielding between batches the question would finish after all 96.
        #expect(questionDone < ingestDone)
    }
}

/// A `TaskExecutor` running its jobs on one dedicated thread.
private final class ThreadTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `stopped` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init(name: String) {
        let thread = Thread { [self] in self.runLoop() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func shutdown() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
