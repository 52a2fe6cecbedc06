import Foundation
import Logging
import RagStore
import ServiceLifecycle
import Synchronization

/// The daemon's ingestion worker: claims re-ingest jobs that admins queued and runs them one at
/// a time; while a job runs, a `JobHeartbeat` keeps its claim, records its progress and notices
/// a cancel request.
///
/// Cancelling a job (or shutting the daemon down) stops between files: the file in hand is
/// finished and stored, nothing is removed. A job interrupted by shutdown goes back to the
/// queue and resumes at the next start; unchanged files then cost only a hash. On a queue that
/// several nodes share, a job whose node died is taken over by another once its claim's lease
/// runs out (`IngestJobQueue`).
public struct IngestJobWorker: Service {
    public let pipeline: IngestPipeline
    /// Where jobs come from: the store's own queue, or one that several nodes share.
    public let jobs: any IngestJobQueue
    public let logger: Logger
    /// How often the queue is looked at when idle.
    public var pollInterval: Duration = .seconds(1)
    /// How often a running job's claim is renewed, its progress written and a cancel looked for.
    public var heartbeatInterval: Duration = .milliseconds(500)

    public init(pipeline: IngestPipeline, jobs: (any IngestJobQueue)? = nil,
                logger: Logger = Logger(label: "ragd.ingest.jobs")) {
        self.pipeline = pipeline
        self.jobs = jobs ?? pipeline.store.jobs
        self.logger = logger
    }

    public func run() async throws {
        let requeued = try await jobs.requeueInterrupted()
        if requeued > 0 { logger.notice("resuming interrupted ingest jobs", metadata: ["jobs": "\(requeued)"]) }
        let shuttingDown = Mutex(false)
        try await withGracefulShutdownHandler {
            while !shuttingDown.withLock({ $0 }) && !Task.isCancelled {
                if let job = try await jobs.claimNext() {
                    await run(job, shuttingDown: { shuttingDown.withLock { $0 } })
                } else {
                    try? await Task.sleep(for: pollInterval)
                }
            }
        } onGracefulShutdown: {
            shuttingDown.withLock { $0 = true }
        }
    }

    /// Runs the queued jobs one after another until none is left. - Returns: how many ran.
    @discardableResult
    public func drainQueue() async throws -> Int {
        var count = 0
        while let job = try await jobs.claimNext() {
            await run(job, shuttingDown: { false })
            count += 1
        }
        return count
    }

    /// Runs one claimed job to its end and records the outcome. Never throws: a failing job is
    /// marked failed with its reason and the worker goes on.
    func run(_ job: IngestJobRecord, shuttingDown: @escaping @Sendable () -> Bool) async {
        let store = pipeline.store
        let id = job.id!
        logger.info("ingest job started", metadata: ["job": "\(id)", "scope": "\(job.scope.rawValue)"])
        var pipeline = self.pipeline
        pipeline.force = job.force
        let jobs = self.jobs
        let heartbeat = JobHeartbeat(queue: jobs, id: id, interval: heartbeatInterval, logger: logger)
        let progress: @Sendable (IngestProgress) -> Void = { heartbeat.report($0) }
        let stop: @Sendable () -> Bool = { shuttingDown() || heartbeat.shouldStop }
        do {
            let summary: IngestSummary
            switch job.scope {
            case .all:
                summary = try await pipeline.ingest(sources: store.sources().map(\.source), progress: progress, shouldStop: stop)
            case .source:
                guard let sourceId = job.sourceId, let source = try store.source(id: sourceId) else {
                    await heartbeat.stop()
                    try await jobs.finish(id: id, status: .failed, message: "the source no longer exists")
                    return
                }
                summary = try await pipeline.ingest(sources: [source], progress: progress, shouldStop: stop)
                if !summary.stopped {
                    // Every finished source job is a sync: its outcome, and the next one scheduled.
                    let missing = summary.failed.first { $0.path == source.root }
                    try store.recordSync(sourceId: sourceId, failure: missing?.reason, result: Self.describe(summary))
                }
            case .document:
                guard let documentId = job.documentId, let document = try store.document(id: documentId) else {
                    await heartbeat.stop()
                    try await jobs.finish(id: id, status: .failed, message: "the document no longer exists")
                    return
                }
                summary = try await pipeline.ingest(document: document, progress: progress)
            }
            await heartbeat.stop()
            let text = Self.describe(summary)
            if heartbeat.claimLost {
                // This node stalled past its lease and another took the job: its outcome is theirs.
                logger.warning("ingest job left to the node that took it over", metadata: ["job": "\(id)"])
            } else if summary.stopped, shuttingDown(), try await !jobs.isCancelRequested(id: id) {
                // Shutdown, not an admin's cancel: leave it queued so the next start resumes it.
                try await jobs.requeueInterrupted()
                logger.notice("ingest job interrupted by shutdown; queued again", metadata: ["job": "\(id)"])
            } else {
                try await jobs.finish(id: id, status: summary.stopped ? .cancelled : .done, message: text)
                logger.info("ingest job finished", metadata: ["job": "\(id)", "summary": "\(text)"])
            }
        } catch {
            await heartbeat.stop()
            if job.scope == .source, let sourceId = job.sourceId {
                try? store.recordSync(sourceId: sourceId, failure: "\(error)", result: "")
            }
            try? await jobs.finish(id: id, status: .failed, message: "\(error)")
            logger.error("ingest job failed", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    static func describe(_ s: IngestSummary) -> String {
        var text = "\(s.files) files: \(s.new) new, \(s.updated) updated, \(s.unchanged) unchanged, "
            + "\(s.failed.count) failed, \(s.skipped.count) skipped, \(s.removed) removed; \(s.chunks) chunks"
        if s.stopped { text += " (stopped early)" }
        return text
    }
}
