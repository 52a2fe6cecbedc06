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

    /// Adds `entry` as the next turn of conversation `conversationId` of the entry's user,
    /// creating the conversation (titled with the question) when it does not exist yet.
    /// - Returns: the entry with its id and turn number.
    /// - Throws: `StoreError(.notFound)` when the id names another user's conversation.
    @discardableResult
    public func addTurn(_ entry: HistoryRecord, conversationId: String) throws -> HistoryRecord {
        try writer.write { db in
            var entry = entry
            if var conversation = try ConversationRecord.fetchOne(db, key: conversationId) {
                guard conversation.userId == entry.userId else { throw StoreError(.notFound, "No such conversation.") }
                conversation.updatedAt = entry.createdAt
                try conversation.update(db)
            } else {
                try ConversationRecord(id: conversationId, userId: entry.userId, title: entry.question, createdAt: entry.createdAt)
                    .insert(db)
            }
            entry.conversationId = conversationId
            entry.turn = (try Int.fetchOne(
                db, sql: "SELECT max(turn) FROM history WHERE conversation_id = ?", arguments: [conversationId]) ?? 0) + 1
            try entry.insert(db)
            return entry
        }
    }

    /// The conversation `id` of user `userId` with its turns in order, or nil when there is
    /// none (or it is someone else's: the same answer, so ids cannot be probed).
    public func conversation(id: String, userId: Int64) throws -> (conversation: ConversationRecord, turns: [HistoryRecord])? {
        try writer.read { db in
            guard let conversation = try ConversationRecord.fetchOne(db, key: id), conversation.userId == userId else { return nil }
            let turns = try HistoryRecord.filter(Column("conversation_id") == id).order(Column("turn"), Column("id")).fetchAll(db)
            return (conversation, turns)
        }
    }

    /// A user's conversations, most recently continued first, with how many turns each has.
    public func conversations(userId: Int64, limit: Int = 50) throws -> [(conversation: ConversationRecord, turns: Int)] {
        try writer.read { db in
            let rows = try ConversationRecord.filter(Column("user_id") == userId)
                .order(Column("updated_at").desc, Column("created_at").desc).limit(limit).fetchAll(db)
            return try rows.map { c in
                (c, try Int.fetchOne(db, sql: "SELECT count(*) FROM history WHERE conversation_id = ?", arguments: [c.id]) ?? 0)
            }
        }
    }

    /// Deletes a user's conversation with its turns and their feedback.
    /// - Throws: `StoreError(.notFound)` when it is not theirs.
    public func deleteConversation(id: String, userId: Int64) throws {
        try writer.write { db in
            guard try ConversationRecord.filter(Column("id") == id && Column("user_id") == userId).deleteAll(db) == 1
            else { throw StoreError(.notFound, "No such conversation.") }
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
