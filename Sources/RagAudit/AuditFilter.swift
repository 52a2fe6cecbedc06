import Foundation
import GRDB

/// Which records to search or export. Every condition that is set must hold; nil means any.
public struct AuditFilter: Sendable, Equatable {
    /// The actor's login name, exactly.
    public var user: String?
    public var userId: Int64?
    /// Records at or after this time.
    public var from: Date?
    /// Records strictly before this time.
    public var to: Date?
    /// Words that must each appear in the question or the answer (case-insensitive for ASCII).
    /// A scan of the matching rows, not an index: narrow by date or user for large logs.
    public var text: String?
    /// Question records that cited this document.
    public var documentId: Int64?
    /// `small_model`, `large_model`, `quoted_fallback` or `not_found`.
    public var route: String?
    public var kind: AuditKind?

    public init(
        user: String? = nil, userId: Int64? = nil, from: Date? = nil, to: Date? = nil, text: String? = nil,
        documentId: Int64? = nil, route: String? = nil, kind: AuditKind? = nil
    ) {
        self.user = user
        self.userId = userId
        self.from = from
        self.to = to
        self.text = text
        self.documentId = documentId
        self.route = route
        self.kind = kind
    }

    /// The filter as text, for the details of an `audit.search` or `audit.export` record.
    public var details: [String: String] {
        var d: [String: String] = [:]
        if let user { d["user"] = user }
        if let userId { d["user_id"] = String(userId) }
        if let from { d["from"] = AuditTimestamp.string(from: from) }
        if let to { d["to"] = AuditTimestamp.string(from: to) }
        if let text { d["text"] = text }
        if let documentId { d["document_id"] = String(documentId) }
        if let route { d["route"] = route }
        if let kind { d["kind"] = kind.rawValue }
        return d
    }

    /// The SQL condition on `audit_record` and its arguments.
    var sql: (condition: String, arguments: StatementArguments) {
        var terms: [String] = []
        var arguments = StatementArguments()
        if let user { terms.append("user_name = ?"); arguments += [user] }
        if let userId { terms.append("user_id = ?"); arguments += [userId] }
        if let from { terms.append("time >= ?"); arguments += [AuditTimestamp.string(from: from)] }
        if let to { terms.append("time < ?"); arguments += [AuditTimestamp.string(from: to)] }
        if let route { terms.append("route = ?"); arguments += [route] }
        if let kind { terms.append("kind = ?"); arguments += [kind.rawValue] }
        if let documentId {
            terms.append("id IN (SELECT record_id FROM audit_document WHERE document_id = ?)")
            arguments += [documentId]
        }
        for word in (text ?? "").split(whereSeparator: \.isWhitespace) {
            let pattern = "%" + word.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            terms.append("(question LIKE ? ESCAPE '\\' OR answer LIKE ? ESCAPE '\\')")
            arguments += [pattern, pattern]
        }
        return (terms.isEmpty ? "1" : terms.joined(separator: " AND "), arguments)
    }
}

extension AuditLog {
    /// Records matching `filter`, oldest first.
    /// - Throws: `AuditError` when a stored body no longer decodes (run `verify()`); GRDB's
    ///   `DatabaseError` when the file cannot be read.
    public func records(matching filter: AuditFilter = AuditFilter(), limit: Int = 100, offset: Int = 0) throws -> [AuditRecord] {
        let (condition, arguments) = filter.sql
        return try pool.read { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT id, body, previous_hash, hash FROM audit_record WHERE \(condition) ORDER BY id LIMIT ? OFFSET ?",
                arguments: arguments + [max(0, limit), max(0, offset)])
            var records: [AuditRecord] = []
            while let row = try rows.next() { records.append(try Self.record(row)) }
            return records
        }
    }

    /// The record with this id, or nil if there is none (never written, or purged).
    /// - Throws: as ``records(matching:limit:offset:)``.
    public func record(id: Int64) throws -> AuditRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, body, previous_hash, hash FROM audit_record WHERE id = ?", arguments: [id])
                .map(Self.record)
        }
    }

    /// How many records match `filter`.
    public func count(matching filter: AuditFilter = AuditFilter()) throws -> Int {
        let (condition, arguments) = filter.sql
        return try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_record WHERE \(condition)", arguments: arguments) ?? 0
        }
    }

    /// A record from a row of `id, body, previous_hash, hash`.
    static func record(_ row: Row) throws -> AuditRecord {
        let id: Int64 = row[0]
        let body: AuditChain.Body
        do { body = try AuditChain.decodeBody(row[1]) } catch {
            throw AuditError("Audit record \(id) cannot be read (\(error)). Run `ragd audit verify`: the file may have been edited.")
        }
        guard let time = AuditTimestamp.date(from: body.time) else {
            throw AuditError("Audit record \(id) has a malformed time. Run `ragd audit verify`: the file may have been edited.")
        }
        return AuditRecord(id: id, time: time, event: body.event, previousHash: row[2], hash: row[3])
    }
}

/// The dates an auditor types to bound a search, an export or a purge: `YYYY-MM-DD` (a UTC day)
/// or ISO-8601 with or without fractional seconds. The web form and the command line read them alike.
public enum AuditDate {
    /// The date `text` names, or nil when it is neither form.
    /// - Parameter endOfDay: a bare day means the end of that day (the next midnight), for an upper bound.
    public static func parse(_ text: String, endOfDay: Bool = false) -> Date? {
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate, .withDashSeparatorInDate]
        if text.count == 10, let date = day.date(from: text) {
            return endOfDay ? date.addingTimeInterval(86_400) : date
        }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return ISO8601DateFormatter().date(from: text) ?? fractional.date(from: text)
    }
}
