import Foundation
import GRDB

/// What ``AuditLog/purge(before:actor:channel:retentionDays:now:)`` did.
public struct AuditPurgeResult: Sendable, Equatable {
    /// The `audit.purge` record that documents the purge (always written, even when nothing
    /// was old enough to go).
    public var record: AuditRecord
    /// The new checkpoint, or nil when no record was purged.
    public var checkpoint: AuditCheckpoint?
    public var recordsPurged: Int
}

extension AuditLog {
    /// Removes the records older than `before`, the only way records ever leave the log.
    ///
    /// In one transaction: appends an `audit.purge` record naming the actor, the cut and the
    /// last purged hash; writes a checkpoint (`audit_checkpoint`) with that hash; then deletes
    /// the purged records (the delete triggers allow it while `audit_purge_guard` holds a row,
    /// which it does only inside this transaction). ``verify(expecting:)`` then starts from the
    /// checkpoint's hash. What goes is always a prefix of the chain: the records up to the
    /// first one at or after `before` (a late-timestamped record stops the cut early).
    /// The file does not shrink (SQLite reuses the pages); `VACUUM` it offline if needed.
    ///
    /// - Parameters:
    ///   - before: records strictly before this time go.
    ///   - retentionDays: the configured retention period: `before` may be no later than `now`
    ///     minus this many days.
    /// - Throws: `AuditError` when `before` is inside the retention period; GRDB's
    ///   `DatabaseError` when the file cannot be written.
    public func purge(
        before: Date, actor: AuditActor, channel: String = "cli", retentionDays: Int, now: Date = Date()
    ) throws -> AuditPurgeResult {
        let latestAllowed = now.addingTimeInterval(-Double(max(0, retentionDays)) * 86_400)
        guard before <= latestAllowed else {
            let day = String(AuditTimestamp.string(from: latestAllowed).prefix(10))
            throw AuditError(
                "Records younger than the retention period (\(retentionDays) days) cannot be purged: "
                    + "choose a date on or before \(day), or lower audit_retention_days.")
        }
        let beforeText = AuditTimestamp.string(from: before)
        return try pool.writeWithoutTransaction { db in
            var result: AuditPurgeResult?
            try db.inTransaction(.immediate) {
                let tail = try Self.tail(db)
                let firstKept = try Int64.fetchOne(db, sql: "SELECT min(id) FROM audit_record WHERE time >= ?", arguments: [beforeText])
                let through = firstKept.map { $0 - 1 } ?? tail.id
                let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_record WHERE id <= ?", arguments: [through]) ?? 0
                let lastPurgedHash = count > 0
                    ? try String.fetchOne(db, sql: "SELECT hash FROM audit_record WHERE id = ?", arguments: [through]) ?? ""
                    : ""
                var details = [
                    "before": beforeText, "records_purged": String(count), "retention_days": String(retentionDays),
                ]
                if count > 0 {
                    details["purged_through_id"] = String(through)
                    details["last_purged_hash"] = lastPurgedHash
                }
                let event = AuditEvent(kind: .audit, actor: actor, channel: channel, action: "audit.purge", details: details)
                let record = try Self.insert([PreparedEvent(event, time: now)], db)[0]
                var checkpoint: AuditCheckpoint?
                if count > 0 {
                    try db.execute(
                        sql: """
                            INSERT INTO audit_checkpoint (created_at, purged_through_id, last_purged_hash, records_purged)
                            VALUES (?, ?, ?, ?)
                            """,
                        arguments: [AuditTimestamp.string(from: now), through, lastPurgedHash, count])
                    checkpoint = try Self.latestCheckpoint(db)
                    try db.execute(sql: "INSERT INTO audit_purge_guard (active) VALUES (1)")
                    try db.execute(sql: "DELETE FROM audit_document WHERE record_id <= ?", arguments: [through])
                    try db.execute(sql: "DELETE FROM audit_record WHERE id <= ?", arguments: [through])
                    try db.execute(sql: "DELETE FROM audit_purge_guard")
                }
                result = AuditPurgeResult(record: record, checkpoint: checkpoint, recordsPurged: count)
                return .commit
            }
            return result!
        }
    }
}
