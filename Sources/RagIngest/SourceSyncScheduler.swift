import Foundation
import Logging
import RagStore
import ServiceLifecycle

/// Keeps sources in sync by themselves: every `checkInterval` it looks for sources whose
/// scheduled sync is due (`RagStore.dueSyncSources`) and queues a re-ingest job for each, which
/// `IngestJobWorker` runs like an admin's (progress on the admin page, new, changed and deleted
/// files through the incremental path, unchanged files costing a hash) and records as the
/// source's last sync. A source with a job queued or running is left for that job: a sync
/// never runs twice at once. The worker schedules the next sync when a job ends, backing off
/// while a source keeps failing.
///
/// Change notification (inotify) is not used: a folder is scanned at its interval, which also
/// works on network file systems, where inotify sees no remote changes.
public struct SourceSyncScheduler: Service {
    public let store: RagStore
    public let logger: Logger
    /// How often due sources are looked for.
    public var checkInterval: Duration

    public init(store: RagStore, checkInterval: Duration = .seconds(5), logger: Logger = Logger(label: "ragd.ingest.sync")) {
        self.store = store
        self.checkInterval = checkInterval
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                queueDue()
                try? await Task.sleep(for: checkInterval)
            }
        }
    }

    /// Queues a job for every due source that has none. - Returns: how many were queued.
    @discardableResult
    public func queueDue(now: Date = Date()) -> Int {
        var queued = 0
        do {
            for source in try store.dueSyncSources(now: now) {
                do {
                    try store.jobs.enqueue(scope: .source, sourceId: source.id, requestedBy: "sync")
                    queued += 1
                    logger.info("source sync queued", metadata: ["source": "\(source.name)"])
                } catch let error as StoreError where error.kind == .conflict {
                    // A job for it is queued or running; it records the sync when it ends.
                }
            }
        } catch {
            logger.error("looking for due source syncs failed", metadata: ["error": "\(error)"])
        }
        return queued
    }
}
