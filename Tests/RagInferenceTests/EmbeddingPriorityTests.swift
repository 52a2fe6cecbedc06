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
        let ingestThread = QueueTaskExecutor(label: "test.ingest")
        let questionThread = QueueTaskExecutor(label: "test.question")
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

/// A `TaskExecutor` over a serial dispatch queue: an overcommitting queue gets a thread of its
/// own even while every thread of Swift's cooperative pool is busy.
private final class QueueTaskExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
