import Foundation
import GRDB
import RagCore

/// One answered question with its feedback, as the admins' analytics page reads it.
public struct AnalyticsEntry: Sendable, Equatable {
    public var record: HistoryRecord
    /// The asker's verdict (nil: none given).
    public var helpful: Bool?
    public var comment: String?
}

/// A document the analytics reader may see, with the source it belongs to.
public struct AnalyticsDocument: Sendable, Equatable {
    public var id: Int64
    public var title: String
    public var path: String
    public var sourceId: Int64?
    /// The source's name ("" for a document without one).
    public var sourceName: String
}

/// A question an employee marked helpful, for `ragd eval --from-history`.
public struct HelpfulQuestion: Sendable, Equatable {
    public var historyId: Int64
    public var userName: String
    /// The asker's groups now: the item is evaluated over the documents they may read.
    public var groups: [String]
    public var question: String
    /// The documents the answer cited (or, for entries from before citations were kept, every
    /// source shown): the gold a retrieval should find.
    public var goldDocumentIds: [Int64]
    public var createdAt: Date

    /// What the asker may read.
    public var access: AccessFilter { .groups(Set(groups)) }
}

extension HistoryStore {
    /// The entries since `since`, oldest first, with their feedback, that a reader with
    /// `access` may see whole, and the documents that reader may see.
    ///
    /// An entry is left out when any source it showed is one the reader may not read now (or
    /// that is gone), as in conversations: neither its question nor its feedback nor its figures
    /// tell them anything about a document their groups do not allow.
    public func analytics(since: Date, access: AccessFilter) throws
        -> (entries: [AnalyticsEntry], documents: [Int64: AnalyticsDocument])
    {
        try writer.read { db in
            let condition = access.documentCondition
            var documents: [Int64: AnalyticsDocument] = [:]
            let rows = try Row.fetchCursor(
                db, sql: """
                    SELECT d.id, d.title, d.path, d.source_id, coalesce(s.name, '') AS source_name
                    FROM document d LEFT JOIN source s ON s.id = d.source_id WHERE \(condition.sql)
                    """, arguments: StatementArguments(condition.arguments))
            while let row = try rows.next() {
                let path: String = row["path"]
                let id: Int64 = row["id"]
                documents[id] = AnalyticsDocument(
                    id: id, title: (row["title"] as String?) ?? (path as NSString).lastPathComponent, path: path,
                    sourceId: row["source_id"], sourceName: row["source_name"])
            }
            var entries: [AnalyticsEntry] = []
            let history = try Row.fetchCursor(
                db, sql: """
                    SELECT h.*, f.helpful AS feedback_helpful, f.comment AS feedback_comment
                    FROM history h LEFT JOIN feedback f ON f.history_id = h.id
                    WHERE h.created_at >= ? ORDER BY h.created_at, h.id
                    """, arguments: [since])
            while let row = try history.next() {
                let record = try HistoryRecord(row: row)
                guard record.sourceList.allSatisfy({ documents[$0.documentId] != nil }) else { continue }
                entries.append(AnalyticsEntry(record: record, helpful: row["feedback_helpful"], comment: row["feedback_comment"]))
            }
            return (entries, documents)
        }
    }

    /// Questions employees marked helpful, newest first, one per wording (the newest), with
    /// the documents the answer rested on as gold. Answers that said the documents do not
    /// answer have no gold and are left out.
    /// - Parameter limit: at most this many (nil: all).
    public func helpfulQuestions(limit: Int? = nil) throws -> [HelpfulQuestion] {
        try writer.read { db in
            let rows = try Row.fetchCursor(
                db, sql: """
                    SELECT h.*, u.name AS user_name, u.groups AS user_groups
                    FROM history h JOIN feedback f ON f.history_id = h.id AND f.helpful = 1
                    JOIN user u ON u.id = h.user_id
                    WHERE h.path != 'not_found' ORDER BY h.id DESC
                    """)
            var seen = Set<String>()
            var items: [HelpfulQuestion] = []
            while let row = try rows.next() {
                if let limit, items.count >= limit { break }
                let record = try HistoryRecord(row: row)
                let key = record.question.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
                guard seen.insert(key).inserted else { continue }
                let shown = record.sourceList
                let gold: [Int64]
                if let cited = record.citedNumbers {
                    gold = shown.filter { cited.contains($0.number) }.map(\.documentId)
                } else {
                    gold = shown.map(\.documentId)
                }
                var unique: [Int64] = []
                for id in gold where !unique.contains(id) { unique.append(id) }
                guard !unique.isEmpty else { continue }
                items.append(HelpfulQuestion(
                    historyId: record.id!, userName: row["user_name"], groups: GroupList.decode(row["user_groups"]),
                    question: record.question, goldDocumentIds: unique, createdAt: record.createdAt))
            }
            return items
        }
    }

    /// The larger tier's answers that passed to the reader (path `large_model`), with the
    /// passages it was given, oldest first.
    public func largeModelAnswers() throws -> [HistoryRecord] {
        try writer.read { db in
            try HistoryRecord.filter(Column("path") == AnswerPath.largeModel.rawValue && Column("passages") != nil)
                .order(Column("id")).fetchAll(db)
        }
    }

    /// The source of each of `documentIds` that still exists (documents without a source are left out).
    public func sourceIds(ofDocuments documentIds: [Int64]) throws -> [Int64: Int64] {
        guard !documentIds.isEmpty else { return [:] }
        return try writer.read { db in
            let ids = Set(documentIds).map(String.init).joined(separator: ",")
            var result: [Int64: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, source_id FROM document WHERE id IN (\(ids)) AND source_id IS NOT NULL") {
                result[row["id"]] = row["source_id"]
            }
            return result
        }
    }
}
