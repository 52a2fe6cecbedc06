import Foundation
import Logging
import PostgresNIO
import RagAudit
import RagStore

/// The tamper-evident audit log in the shared PostgreSQL database: the same records, bodies
/// and hash chain as RagAudit's `AuditLog` in its SQLite file (`AuditChain` links them,
/// `AuditChainVerifier` checks them), appended by every node into one chain.
///
/// **No forks.** An append locks the chain's tail, the single row of `audit_head`, with
/// `SELECT … FOR UPDATE`; links its records after it; inserts them and moves the head in the
/// same transaction. A second node appending at that moment waits for the lock and then links
/// after the first node's records, so ids stay 1, 2, 3, … and every `previous_hash` is the hash
/// of the record before, whichever node wrote it.
public struct PostgresAuditLog: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Appends `event` and returns its record once committed.
    /// - Throws: `AuditError` when the event cannot be encoded; `StoreError` when PostgreSQL fails.
    public func append(_ event: AuditEvent, at time: Date = Date()) async throws -> AuditRecord {
        try await append([PreparedEvent(event, time: time)])[0]
    }

    /// Appends `events` in one transaction, in order.
    public func append(_ events: [PreparedEvent]) async throws -> [AuditRecord] {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                var tail: (Int64, String)?
                for try await row in try await connection.query(
                    "SELECT last_id, hash FROM audit_head FOR UPDATE", logger: logger
                ).decode((Int64, String).self) { tail = row }
                guard let (lastId, lastHash) = tail else {
                    throw StoreError(.invalid, "audit_head has no row: the audit tables were changed by hand.")
                }
                let linked = AuditChain.link(events, afterId: lastId, hash: lastHash)
                for link in linked {
                    let c = link.columns
                    let record = link.record
                    try await connection.query("""
                        INSERT INTO audit_record (id, time, kind, user_id, user_name, role, channel, client_address,
                            action, question, answer, route, body, previous_hash, hash)
                        VALUES (\(record.id), \(c.time), \(c.kind), \(c.userId), \(c.userName), \(c.role), \(c.channel),
                            \(c.clientAddress), \(c.action), \(c.question), \(c.answer), \(c.route), \(link.body),
                            \(record.previousHash), \(record.hash))
                        """, logger: logger)
                    for documentId in c.documentIds {
                        try await connection.query(
                            "INSERT INTO audit_document (record_id, document_id) VALUES (\(record.id), \(documentId))",
                            logger: logger)
                    }
                }
                if let last = linked.last?.record {
                    try await connection.query(
                        "UPDATE audit_head SET last_id = \(last.id), hash = \(last.hash)", logger: logger)
                }
                return linked.map(\.record)
            }
        } catch {
            throw StoreError.postgres(error, "Appending to the audit log")
        }
    }

    /// The last record's id and hash, and how many records the log holds.
    public func head() async throws -> AuditHead {
        do {
            return try await client.withConnection { connection in
                try await Self.head(connection, logger: logger)
            }
        } catch {
            throw StoreError.postgres(error, "Reading the audit log's head")
        }
    }

    static func head(_ connection: PostgresConnection, logger: Logger) async throws -> AuditHead {
        var head = AuditHead(lastId: 0, hash: AuditChain.genesisHash, count: 0)
        for try await (id, hash, count) in try await connection.query(
            "SELECT last_id, hash, (SELECT count(*) FROM audit_record) FROM audit_head", logger: logger
        ).decode((Int64, String, Int).self) {
            head = AuditHead(lastId: id, hash: hash, count: count)
        }
        return head
    }

    /// Recomputes the whole chain, as ``AuditLog/verify(expecting:)`` does for the SQLite file,
    /// in one snapshot (a repeatable-read transaction) while nodes go on appending.
    /// - Returns: the result; a broken chain is a result, not an error.
    public func verify(expecting published: AuditHead? = nil) async throws -> AuditVerification {
        do {
            return try await client.withConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                do {
                    let result = try await Self.verify(connection, expecting: published, logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                    return result
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        } catch {
            throw StoreError.postgres(error, "Verifying the audit log")
        }
    }

    private static func verify(_ connection: PostgresConnection, expecting published: AuditHead?, logger: Logger)
        async throws -> AuditVerification
    {
        var checkpoint: AuditCheckpoint?
        for try await (id, created, through, hash, purged) in try await connection.query("""
            SELECT id, created_at, purged_through_id, last_purged_hash, records_purged
            FROM audit_checkpoint ORDER BY id DESC LIMIT 1
            """, logger: logger).decode((Int64, String, Int64, String, Int).self) {
            checkpoint = AuditCheckpoint(
                id: id, createdAt: AuditTimestamp.date(from: created) ?? Date(timeIntervalSince1970: 0),
                purgedThroughId: through, lastPurgedHash: hash, recordsPurged: purged)
        }
        var verifier = AuditChainVerifier(checkpoint: checkpoint, published: published)
        let rows = try await connection.query("""
            SELECT id, time, kind, user_id, user_name, role, channel, client_address, action, question, answer, route,
                   body, previous_hash, hash,
                   (SELECT string_agg(document_id::text, ',') FROM audit_document WHERE record_id = audit_record.id)
            FROM audit_record ORDER BY id
            """, logger: logger)
        var broken = false
        for try await row in rows {
            // The rows keep streaming after a break: the sequence must be read to its end.
            if broken { continue }
            let r = row.makeRandomAccess()
            let columns = IndexedColumns(
                time: try r[1].decode(String.self), kind: try r[2].decode(String.self),
                userId: try r[3].decode(Int64?.self), userName: try r[4].decode(String.self),
                role: try r[5].decode(String.self), channel: try r[6].decode(String.self),
                clientAddress: try r[7].decode(String?.self), action: try r[8].decode(String?.self),
                question: try r[9].decode(String?.self), answer: try r[10].decode(String?.self),
                route: try r[11].decode(String?.self),
                documentIds: (try r[15].decode(String?.self) ?? "").split(separator: ",").compactMap { Int64($0) }.sorted())
            let stored = StoredAuditRow(
                id: try r[0].decode(Int64.self), columns: columns, body: try r[12].decode(String.self),
                previousHash: try r[13].decode(String.self), hash: try r[14].decode(String.self))
            broken = !verifier.check(stored)
        }
        return verifier.result(head: try await head(connection, logger: logger))
    }
}
