import Foundation
import GRDB

/// Sources kept in sync: each may have an interval; the scheduler (RagIngest's
/// `SourceSyncScheduler`) queues a re-ingest job when one is due, and every finished source job
/// records its outcome here. A source that keeps failing (its folder unreachable) waits twice
/// as long after each failure, up to a day, and says so.
extension RagStore {
    /// Longest wait between tries of a failing source.
    public static let longestSyncBackoff: TimeInterval = 86_400

    /// Sets how often a source syncs by itself (`seconds`), or turns that off (nil). A new
    /// interval starts now: the first sync is one interval away.
    /// - Throws: `StoreError(.notFound)` for an unknown source.
    public func setSourceSync(id: Int64, seconds: Int?, onChange: Bool = false, now: Date = Date()) throws {
        try writer.write { db in
            let next = seconds.map { now.addingTimeInterval(TimeInterval($0)) }
            try db.execute(sql: "UPDATE source SET sync_seconds = ?, next_sync_at = ?, sync_failures = 0, sync_on_change = ? WHERE id = ?",
                           arguments: [seconds, next, onChange, id])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "There is no source \(id).") }
        }
    }

    /// Sources synced when their files change.
    public func changeSyncedSources() throws -> [SourceRecord] {
        try writer.read { db in try SourceRecord.filter(Column("sync_on_change") == true).fetchAll(db) }
    }

    /// Makes a source's sync due at `at` (its files changed), unless one is due sooner.
    public func syncSoon(sourceId: Int64, at: Date) throws {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE source SET next_sync_at = ? WHERE id = ? AND (next_sync_at IS NULL OR next_sync_at > ?)
                """, arguments: [at, sourceId, at])
        }
    }

    /// Sources whose scheduled sync is due at `now`.
    public func dueSyncSources(now: Date = Date()) throws -> [SourceRecord] {
        try writer.read { db in
            try SourceRecord.filter(sql: "(sync_seconds IS NOT NULL OR sync_on_change = 1) AND next_sync_at IS NOT NULL AND next_sync_at <= ?",
                                    arguments: [now])
                .order(Column("next_sync_at")).fetchAll(db)
        }
    }

    /// Records a finished sync of a source (scheduled or asked for) and schedules the next:
    /// one interval away after a success, `interval × 2^failures` (at most a day) after a
    /// failure.
    /// - Parameters:
    ///   - failure: why the source could not be synced (its folder missing), or nil.
    ///   - result: what the sync found, for the admin.
    public func recordSync(sourceId: Int64, failure: String?, result: String, now: Date = Date()) throws {
        try writer.write { db in
            guard var source = try SourceRecord.fetchOne(db, key: sourceId) else { return }
            source.lastSyncAt = now
            source.syncFailures = failure == nil ? 0 : source.syncFailures + 1
            var wait = source.syncSeconds.map(TimeInterval.init)
            if let interval = wait, source.syncFailures > 0 {
                wait = min(interval * pow(2, Double(min(source.syncFailures, 20))), Self.longestSyncBackoff)
            }
            source.nextSyncAt = wait.map { now.addingTimeInterval($0) }
            if let failure {
                let retry = wait.map { " Next try in \(Self.describe(seconds: $0)) (backing off after \(source.syncFailures) failures in a row)." } ?? ""
                source.lastSyncResult = "failed: " + failure + "." + retry
            } else {
                source.lastSyncResult = result
            }
            try source.update(db)
        }
    }

    /// "45 s", "15 min", "2 h 30 min", "1 day".
    public static func describe(seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min" }
        if s < 86_400 { return "\(s / 3600) h" + (s % 3600 >= 60 ? " \(s % 3600 / 60) min" : "") }
        return s == 86_400 ? "1 day" : "\(s / 86_400) days"
    }
}
