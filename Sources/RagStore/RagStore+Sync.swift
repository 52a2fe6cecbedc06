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
    /// - Parameters:
    ///   - seconds: sync every this many seconds (nil: no interval).
    ///   - dailyAt: also sync every day at this time, "HH:MM" in the server's local time.
    ///   - onChange: also sync a moment after the folder's files change.
    /// - Throws: `StoreError(.notFound)` for an unknown source, `.invalid` for a time that is not HH:MM.
    public func setSourceSync(id: Int64, seconds: Int?, dailyAt: String? = nil, onChange: Bool = false, now: Date = Date()) throws {
        if let dailyAt, Self.nextDaily(dailyAt, after: now) == nil {
            throw StoreError(.invalid, "A daily sync time is HH:MM, from 00:00 to 23:59 (it is '\(dailyAt)').")
        }
        try writer.write { db in
            let next = Self.nextScheduled(seconds: seconds, dailyAt: dailyAt, after: now)
            try db.execute(sql: """
                UPDATE source SET sync_seconds = ?, sync_daily_at = ?, next_sync_at = ?, sync_failures = 0, sync_on_change = ?
                WHERE id = ?
                """, arguments: [seconds, dailyAt, next, onChange, id])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "There is no source \(id).") }
        }
    }

    /// The sooner of one interval from `now` and the next daily time; nil when neither is set.
    static func nextScheduled(seconds: Int?, dailyAt: String?, after now: Date) -> Date? {
        let candidates = [seconds.map { now.addingTimeInterval(TimeInterval($0)) }, dailyAt.flatMap { nextDaily($0, after: now) }]
        return candidates.compactMap { $0 }.min()
    }

    /// The first moment after `now` whose local time of day is `time` ("HH:MM"); nil for a bad time.
    public static func nextDaily(_ time: String, after now: Date, calendar: Calendar = .current) -> Date? {
        let parts = time.split(separator: ":")
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        return calendar.nextDate(after: now, matching: DateComponents(hour: hour, minute: minute, second: 0),
                                 matchingPolicy: .nextTime)
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
            try SourceRecord.filter(sql: """
                (sync_seconds IS NOT NULL OR sync_daily_at IS NOT NULL OR sync_on_change = 1)
                AND next_sync_at IS NOT NULL AND next_sync_at <= ?
                """,
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
            var wait = Self.nextScheduled(seconds: source.syncSeconds, dailyAt: source.syncDailyAt, after: now)
                .map { $0.timeIntervalSince(now) }
            if source.syncFailures > 0, source.syncSeconds != nil || source.syncDailyAt != nil {
                // Back off from the interval (15 minutes for a daily time), never past the next daily time.
                let base = TimeInterval(source.syncSeconds ?? 900)
                let backoff = min(base * pow(2, Double(min(source.syncFailures, 20))), Self.longestSyncBackoff)
                let untilDaily = source.syncDailyAt.flatMap { Self.nextDaily($0, after: now) }.map { $0.timeIntervalSince(now) }
                wait = untilDaily.map { min(backoff, $0) } ?? backoff
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
