import Foundation
import Logging
import RagStore
import ServiceLifecycle
import Synchronization

/// Keeps sources in sync by themselves: every `checkInterval` it looks for sources whose
/// scheduled sync is due (`RagStore.dueSyncSources`) and queues a re-ingest job for each, which
/// `IngestJobWorker` runs like an admin's (progress on the admin page, new, changed and deleted
/// files through the incremental path, unchanged files costing a hash) and records as the
/// source's last sync. A source with a job queued or running is left for that job: a sync
/// never runs twice at once. The worker schedules the next sync when a job ends, backing off
/// while a source keeps failing.
///
/// Sources synced on change are watched with inotify (`FolderWatcher`): a change makes their
/// sync due `settleDelay` later (a burst of changes, such as a copied folder, makes one sync).
/// Where a folder cannot be watched (no inotify, its watch limit reached) it is scanned at its
/// interval instead, and the log says so; on network file systems, where inotify sees no
/// remote changes, give such sources an interval.
public final class SourceSyncScheduler: Service, Sendable {
    public let store: RagStore
    public let logger: Logger
    /// How often due sources are looked for.
    public let checkInterval: Duration
    /// How long after a change the sync starts.
    public let settleDelay: TimeInterval
    private let watcher: FolderWatcher?
    private let unwatchable = Mutex<Set<Int64>>([])

    public init(store: RagStore, checkInterval: Duration = .seconds(5), settleDelay: TimeInterval = 2,
                logger: Logger = Logger(label: "ragd.ingest.sync")) {
        self.store = store
        self.checkInterval = checkInterval
        self.settleDelay = settleDelay
        self.logger = logger
        do {
            watcher = try FolderWatcher { [store] sourceId in
                try? store.syncSoon(sourceId: sourceId, at: Date().addingTimeInterval(settleDelay))
            }
        } catch {
            logger.warning("change notification is not available; sources sync at their intervals", metadata: ["error": "\(error)"])
            watcher = nil
        }
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.refreshWatches()
                self.queueDue()
                try? await Task.sleep(for: self.checkInterval)
            }
        }
        watcher?.stop()
    }

    /// Watches the folders of the sources synced on change, and no others.
    public func refreshWatches() {
        guard let watcher, let sources = try? store.changeSyncedSources() else { return }
        let wanted = Dictionary(uniqueKeysWithValues: sources.map { ($0.id!, $0.root) })
        for key in watcher.watchedKeys where wanted[key] == nil { watcher.unwatch(key: key) }
        for (key, root) in wanted where !watcher.watchedKeys.contains(key) && !unwatchable.withLock({ $0.contains(key) }) {
            do {
                try watcher.watch(root, key: key)
            } catch {
                unwatchable.withLock { _ = $0.insert(key) }
                logger.warning("a source's folder cannot be watched; it syncs at its interval",
                               metadata: ["source": "\(root)", "error": "\(error)"])
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
