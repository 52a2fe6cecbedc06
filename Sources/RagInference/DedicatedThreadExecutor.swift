import Foundation

/// A serial executor that runs every job on one dedicated OS thread.
///
/// llama.cpp calls such as `llama_decode` block their thread for tens or hundreds of
/// milliseconds. Running them on Swift's cooperative pool (one thread per core, two here)
/// would starve every other task, including the HTTP server. An actor whose
/// `unownedExecutor` is one of these keeps its blocking C calls on its own thread, the way
/// GRDB's `DispatchQueueActor` does on Apple platforms (Linux has no `DispatchSerialQueue`).
///
/// Jobs run in priority order, first come first served within one priority: a question's
/// embedding (a request handler's task) overtakes the queued work of an ingest (a `.utility`
/// task), and since `LlamaEmbeddingModel.embed` gives up the thread between batches, a question
/// waits at most for the one batch being encoded.
///
/// The thread ends when the executor is released: `shutdown()` is called from the owning
/// actor's `deinit`.
final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `stopped` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init(name: String) {
        let thread = Thread { [self] in self.runLoop() }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread finish the jobs already queued, then exit.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// A job's priority; unspecified counts as medium (tasks started outside any task, e.g. by
    /// the HTTP server, may carry none).
    private static func rank(_ job: UnownedJob) -> UInt8 {
        let raw = job.priority.rawValue
        return raw == 0 ? TaskPriority.medium.rawValue : raw
    }

    private func runLoop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            // The first of the highest priority (a handful of jobs at most: a linear scan).
            var next = 0
            for i in jobs.indices.dropFirst() where Self.rank(jobs[i]) > Self.rank(jobs[next]) { next = i }
            let job = jobs.remove(at: next)
            condition.unlock()
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }
}
