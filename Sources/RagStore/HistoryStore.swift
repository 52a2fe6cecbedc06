import Foundation
import GRDB

/// Each user's own questions, answers and feedback (`RagStore.history`).
public struct HistoryStore: Sendable {
    let writer: any DatabaseWriter

    @discardableResult
    public func add(_ entry: HistoryRecord) throws -> HistoryRecord {
        try writer.write { db in
            var entry = entry
            try entry.insert(db)
            return entry
        }
    }

    /// A user's most recent entries, newest first, with their feedback if any.
    public func entries(userId: Int64, limit: Int = 50) throws -> [(entry: HistoryRecord, helpful: Bool?)] {
        try writer.read { db in
            let entries = try HistoryRecord.filter(Column("user_id") == userId).order(Column("id").desc).limit(limit).fetchAll(db)
            return try entries.map { entry in
                let helpful = try Bool.fetchOne(db, sql: "SELECT helpful FROM feedback WHERE history_id = ?", arguments: [entry.id!])
                return (entry, helpful)
            }
        }
    }

    /// Stores (or replaces) feedback on an entry of this user's.
    /// - Throws: `StoreError(.notFound)` when the entry is not theirs.
    public func setFeedback(historyId: Int64, userId: Int64, helpful: Bool, comment: String?) throws {
        try writer.write { db in
            guard try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM history WHERE id = ? AND user_id = ?)", arguments: [historyId, userId]) == true
            else { throw StoreError(.notFound, "No such answer in your history.") }
            try db.execute(
                sql: """
                    INSERT INTO feedback(history_id, helpful, comment, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(history_id) DO UPDATE SET helpful = excluded.helpful, comment = excluded.comment,
                        created_at = excluded.created_at
                    """,
                arguments: [historyId, helpful, comment, Date()])
        }
    }

    /// Feedback counts (helpful, not helpful), for metrics and the admin page.
    public func feedbackCounts() throws -> (helpful: Int, notHelpful: Int) {
        try writer.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT sum(helpful = 1), sum(helpful = 0) FROM feedback")
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }
}
