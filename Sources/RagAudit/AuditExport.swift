import Foundation
import GRDB

/// The format of ``AuditLog/export(matching:format:write:)``.
public enum AuditExportFormat: String, Sendable, CaseIterable {
    /// RFC 4180: a header row, then one row per record; fields with commas, quotes or line
    /// breaks are quoted, quotes doubled. Lists (groups, sources, details) are joined with "; ".
    case csv
    /// One ``AuditRecord`` JSON object per line, decoding back to the same records:
    /// `{"event":E,"hash":"…","id":N,"previousHash":"…","time":"T"}`, where E is byte for byte
    /// the event JSON that was hashed. So an export verifies on its own: the record's hash is
    /// SHA-256 of previousHash followed by `{"event":` E `,"id":` N `,"time":"` T `"}`.
    case jsonl
}

extension AuditLog {
    /// The CSV header, in column order.
    public static let csvColumns = [
        "id", "time", "kind", "user_id", "user_name", "role", "groups", "channel", "client_address", "action",
        "question", "answer", "route", "model", "model_sha256", "route_reason", "verification", "sources",
        "filtered_out", "retrieval_ms", "total_ms", "details", "previous_hash", "hash",
    ]

    /// Writes every record matching `filter`, oldest first, through `write` in chunks of about
    /// 64 KiB. Rows come from a GRDB cursor in one read snapshot: memory stays flat however many
    /// records match. Appends go on meanwhile (they are not in the snapshot).
    ///
    /// Exporting is itself an auditable act: the caller records an `audit.export` event
    /// (``AuditFilter/details`` describes the filter), as `ragd audit export` does.
    /// - Returns: how many records were written.
    /// - Throws: whatever `write` throws (the export stops there); `AuditError` when a stored
    ///   body does not decode; GRDB's `DatabaseError` when the file cannot be read.
    @discardableResult
    public func export(
        matching filter: AuditFilter = AuditFilter(), format: AuditExportFormat, write: (Data) throws -> Void
    ) throws -> Int {
        let (condition, arguments) = filter.sql
        return try pool.read { db in
            var buffer = Data()
            buffer.reserveCapacity(80_000)
            if format == .csv { buffer.append(csvLine(Self.csvColumns)) }
            let rows = try Row.fetchCursor(
                db, sql: "SELECT id, body, previous_hash, hash FROM audit_record WHERE \(condition) ORDER BY id",
                arguments: arguments)
            var count = 0
            while let row = try rows.next() {
                buffer.append(try Self.exportLine(row, format: format))
                count += 1
                if buffer.count >= 64 * 1024 {
                    try write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            if !buffer.isEmpty { try write(buffer) }
            return count
        }
    }

    /// The line of one row of `id, body, previous_hash, hash` in `format`.
    static func exportLine(_ row: Row, format: AuditExportFormat) throws -> Data {
        switch format {
        case .csv: return csvLine(csvFields(try record(row)))
        case .jsonl: return try jsonLine(row)
        }
    }

    /// The JSONL line of a row of `id, body, previous_hash, hash`, spliced from the stored body
    /// (no decoding, no re-encoding: the event bytes stay the hashed ones).
    static func jsonLine(_ row: Row) throws -> Data {
        let id: Int64 = row[0]
        let body: String = row[1]
        let previousHash: String = row[2]
        let hash: String = row[3]
        // body = {"event":E,"id":N,"time":"T"} with N and T of fixed form, so the last ,"id": ends E.
        let prefix = "{\"event\":"
        guard body.hasPrefix(prefix), let cut = body.range(of: ",\"id\":", options: .backwards),
              let timeStart = body.range(of: ",\"time\":\"", options: .backwards),
              body[cut.upperBound..<timeStart.lowerBound] == Substring(String(id)), body.hasSuffix("\"}")
        else {
            throw AuditError("Audit record \(id) has a malformed body. Run `ragd audit verify`: the file may have been edited.")
        }
        let event = body[body.index(body.startIndex, offsetBy: prefix.count)..<cut.lowerBound]
        let time = body[timeStart.upperBound..<body.index(body.endIndex, offsetBy: -2)]
        let line = "{\"event\":" + event + ",\"hash\":\"" + hash + "\",\"id\":" + String(id) + ",\"previousHash\":\""
            + previousHash + "\",\"time\":\"" + time + "\"}\n"
        return Data(line.utf8)
    }

    static func csvFields(_ r: AuditRecord) -> [String] {
        let e = r.event, q = e.question
        let sources = q?.sources.map {
            "\($0.title) (document \($0.documentId) v\($0.documentVersion), \($0.location), chunks \($0.chunkIds.map(String.init).joined(separator: " ")), score \(String(format: "%.3f", $0.score)))"
        }
        return [
            String(r.id), AuditTimestamp.string(from: r.time), e.kind.rawValue, e.actor.userId.map(String.init) ?? "",
            e.actor.name, e.actor.role, e.actor.groups.joined(separator: "; "), e.channel, e.clientAddress ?? "",
            e.action ?? "", q?.question ?? "", q?.answer ?? "", q?.route ?? "", q?.model ?? "", q?.modelSHA256 ?? "",
            q?.routeReason ?? "", q?.verification ?? "", sources?.joined(separator: "; ") ?? "",
            q.map { String($0.filteredOut) } ?? "", q.map { String(format: "%.1f", $0.retrievalMs) } ?? "",
            q.map { String(format: "%.1f", $0.totalMs) } ?? "",
            e.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "),
            r.previousHash, r.hash,
        ]
    }
}

/// One CSV line (RFC 4180), CRLF-terminated. Kept hand-written on purpose: quoting is a few
/// lines, and the formula guard below is the part that matters, which CSV libraries leave out.
/// Public so other exports of user text (the admins' analytics) quote the same way.
public func csvLine(_ fields: [String]) -> Data {
    var line = ""
    for (i, raw) in fields.enumerated() {
        if i > 0 { line += "," }
        // A question typed as "=HYPERLINK(…)" must not become a formula when an auditor opens
        // the export in a spreadsheet: such a cell gets a leading apostrophe (OWASP's advice).
        let field = raw.first.map { "=+-@\t\r".contains($0) } == true ? "'" + raw : raw
        if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            line += "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        } else {
            line += field
        }
    }
    line += "\r\n"
    return Data(line.utf8)
}
