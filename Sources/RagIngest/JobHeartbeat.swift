import Foundation
import Logging
import RagStore
import Synchronization

/// While a claimed job runs: every `interval` it renews the job's claim, writes the job's latest
/// progress, and notices an admin's cancel request or a claim lost to another node.
///
/// The ingest pipeline reports progress and asks whether to stop synchronously, between files;
/// the queue is asynchronous (a database across the network, for the PostgreSQL store). The
/// heartbeat sits between them: the pipeline's calls only read and write memory, and the
/// queue is written from one loop, in order, at most once per beat.
final class JobHeartbeat: Sendable {
    private struct State {
        var latest: IngestProgress?
        var written: IngestProgress?
        var cancelRequested = false
        var claimLost = false
    }

    private let queue: any IngestJobQueue
    private let id: Int64
    private let logger: Logger
    private let state = Mutex(State())
    private let loop = Mutex<Task<Void, Never>?>(nil)

    init(queue: any IngestJobQueue, id: Int64, interval: Duration, logger: Logger) {
        self.queue = queue
        self.id = id
        self.logger = logger
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                await self.beat()
            }
        }
        loop.withLock { $0 = task }
    }

    /// The pipeline finished a file.
    func report(_ progress: IngestProgress) {
        state.withLock { $0.latest = progress }
    }

    /// Stop between files: an admin asked, or another node runs the job now.
    var shouldStop: Bool { state.withLock { $0.cancelRequested || $0.claimLost } }

    /// Another node took the job over (this node stalled past the lease): leave it alone.
    var claimLost: Bool { state.withLock { $0.claimLost } }

    var cancelRequested: Bool { state.withLock { $0.cancelRequested } }

    /// Ends the beats and writes the last progress.
    func stop() async {
        let task = loop.withLock { task in defer { task = nil }; return task }
        task?.cancel()
        await task?.value
        await writeProgress()
    }

    private func beat() async {
        do {
            let held = try await queue.renewLease(id: id)
            let cancel = try await queue.isCancelRequested(id: id)
            state.withLock {
                $0.claimLost = $0.claimLost || !held
                $0.cancelRequested = $0.cancelRequested || cancel
            }
            if !held { logger.warning("ingest job claimed by another node; stopping here", metadata: ["job": "\(id)"]) }
        } catch {
            // The queue is out of reach for a moment: go on, the next beat tries again.
            logger.warning("ingest job heartbeat failed", metadata: ["job": "\(id)", "error": "\(error)"])
        }
        await writeProgress()
    }

    private func writeProgress() async {
        guard let progress = state.withLock({ $0.latest != $0.written ? $0.latest : nil }) else { return }
        do {
            try await queue.updateProgress(
                id: id, filesDone: progress.filesDone, filesTotal: progress.filesTotal, chunks: progress.chunks,
                currentPath: progress.currentPath)
            state.withLock { $0.written = progress }
        } catch {
            logger.warning("ingest job progress not recorded", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }
}
