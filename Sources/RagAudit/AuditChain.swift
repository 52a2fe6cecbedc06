import Crypto
import Foundation
import RagCore

/// The canonical bytes of a record and the hash that links it to the one before.
///
/// The rules, precise enough for an outside verifier (they are also in ``AuditLog``'s docs):
///
/// - The **event JSON** is the event encoded by Foundation's `JSONEncoder` with
///   `outputFormatting = [.sortedKeys, .withoutEscapingSlashes]`: no whitespace, keys sorted,
///   optional fields that are nil left out. A verifier needs none of this (the body is stored
///   verbatim); it only makes the bytes reproducible for a given event.
/// - The **body** is the UTF-8 text `{"event":` + event JSON + `,"id":` + the id in decimal +
///   `,"time":"` + the time as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds) + `"}`, which is
///   what the same encoder writes for an object with those three keys.
/// - **hash** = lowercase hex of SHA-256 over the ASCII of the previous record's hash (64
///   lowercase hex digits; 64 zeros before record 1) followed by the body's bytes.
///
/// The body is stored verbatim in `audit_record.body`, so a verifier never re-encodes JSON: it
/// hashes `previous_hash || body` row by row, checks that each `previous_hash` is the hash of
/// the row before, and checks that the row's searchable columns say what the body says.
public enum AuditChain {
    /// The hash before record 1.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The event JSON (see the type's docs). Safe to call from any thread: one encoder per call.
    static func eventJSON(_ event: AuditEvent) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(event) } catch {
            throw AuditError("The audit event cannot be encoded (\(error)). Numbers must be finite.")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The body: `{"event":…,"id":…,"time":"…"}`.
    static func body(eventJSON: String, id: Int64, time: String) -> String {
        "{\"event\":" + eventJSON + ",\"id\":" + String(id) + ",\"time\":\"" + time + "\"}"
    }

    /// `SHA256(previousHash || body)` in lowercase hex.
    static func hash(previous: String, body: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(previous.utf8))
        hasher.update(data: Data(body.utf8))
        return hasher.finalize().hexString
    }

    /// The body's three parts, decoded.
    struct Body: Decodable {
        var event: AuditEvent
        var id: Int64
        var time: String
    }

    static func decodeBody(_ body: String) throws -> Body {
        try JSONDecoder().decode(Body.self, from: Data(body.utf8))
    }

    /// `events` linked after the record `afterId` whose hash is `hash` (the tail the writing
    /// transaction read under its lock): ids, bodies, hashes and search columns, as every store
    /// writes them.
    public static func link(_ events: [PreparedEvent], afterId: Int64, hash: String) -> [LinkedAuditRecord] {
        var (lastId, lastHash) = (afterId, hash)
        return events.map { prepared in
            let id = lastId + 1
            let body = body(eventJSON: prepared.eventJSON, id: id, time: prepared.timeText)
            let next = self.hash(previous: lastHash, body: body)
            let record = AuditRecord(id: id, time: prepared.time, event: prepared.event, previousHash: lastHash, hash: next)
            (lastId, lastHash) = (id, next)
            return LinkedAuditRecord(record: record, body: body, columns: IndexedColumns(prepared.event, time: prepared.timeText))
        }
    }
}

/// A record ready to be stored: its place in the chain, the canonical body that was hashed, and
/// the columns copied out of it for searching.
public struct LinkedAuditRecord: Sendable {
    public let record: AuditRecord
    public let body: String
    public let columns: IndexedColumns
}
