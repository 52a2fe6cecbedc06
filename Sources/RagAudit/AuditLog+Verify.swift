import Foundation
import GRDB

/// The outcome of ``AuditLog/verify(expecting:)``.
public struct AuditVerification: Sendable, Equatable {
    /// How many records were checked (all the file holds).
    public var recordsChecked: Int
    /// The head the file holds now.
    public var head: AuditHead
    /// The checkpoint the chain starts from, if records were purged.
    public var checkpoint: AuditCheckpoint?
    /// The first problem found, or nil when the chain is intact.
    public var failure: AuditVerificationFailure?
    /// Whether a published head was given and could be compared (false when it was purged).
    public var checkedPublishedHead: Bool

    public var isIntact: Bool { failure == nil }
}

/// The first broken place in the chain.
public struct AuditVerificationFailure: Sendable, Equatable, CustomStringConvertible {
    /// The first record that does not verify; nil when the problem is not one record (a
    /// checkpoint with no purge record, records missing from the end).
    public var recordId: Int64?
    /// What is wrong, in words (no question or answer text).
    public var reason: String

    public var description: String {
        recordId.map { "record \($0): \(reason)" } ?? reason
    }
}

extension AuditLog {
    /// The last record's id and hash, and how many records the file holds.
    /// - Throws: GRDB's `DatabaseError` when the file cannot be read.
    public func head() throws -> AuditHead {
        try pool.read { db in
            let (id, hash) = try Self.tail(db)
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_record") ?? 0
            return AuditHead(lastId: id, hash: hash, count: count)
        }
    }

    /// Recomputes the whole chain from the genesis (or the latest checkpoint) to the head.
    ///
    /// For each record, in id order: the id follows the one before, `previous_hash` is the
    /// previous record's hash, `hash` is SHA-256 of `previous_hash || body`, the body's id and
    /// time match the row, the searchable columns (user, question, answer, route, ...) and the
    /// document index say what the body says. After a purge, the latest checkpoint must be
    /// backed by the `audit.purge` record that made it. Reads in one snapshot, one row at a
    /// time, so it runs beside appends and in constant memory.
    ///
    /// - Parameter published: a head published earlier (see ``head()``): its record must still
    ///   carry that hash, which catches a rewritten or truncated tail that the chain alone
    ///   cannot.
    /// - Returns: the result; a broken chain is a result, not an error.
    /// - Throws: GRDB's `DatabaseError` when the file cannot be read.
    public func verify(expecting published: AuditHead? = nil) throws -> AuditVerification {
        try pool.read { db in
            var verifier = AuditChainVerifier(checkpoint: try Self.latestCheckpoint(db), published: published)
            let rows = try Row.fetchCursor(db, sql: """
                SELECT id, time, kind, user_id, user_name, role, channel, client_address, action, question,
                       answer, route, body, previous_hash, hash,
                       (SELECT group_concat(document_id) FROM audit_document WHERE record_id = audit_record.id)
                FROM audit_record ORDER BY id
                """)
            while let row = try rows.next() {
                let columns = IndexedColumns(
                    time: row[1], kind: row[2], userId: row[3], userName: row[4], role: row[5], channel: row[6],
                    clientAddress: row[7], action: row[8], question: row[9], answer: row[10], route: row[11],
                    documentIds: ((row[15] as String?) ?? "").split(separator: ",").compactMap { Int64($0) }.sorted())
                let stored = StoredAuditRow(id: row[0], columns: columns, body: row[12], previousHash: row[13], hash: row[14])
                if !verifier.check(stored) { break }
            }
            let tail = try Self.tail(db)
            return verifier.result(head: AuditHead(
                lastId: tail.id, hash: tail.hash,
                count: try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_record") ?? 0))
        }
    }
}

/// A record as a store reads it back: the hashed body, its links, and the columns kept beside it.
public struct StoredAuditRow: Sendable {
    public var id: Int64
    public var columns: IndexedColumns
    public var body: String
    public var previousHash: String
    public var hash: String

    public init(id: Int64, columns: IndexedColumns, body: String, previousHash: String, hash: String) {
        self.id = id
        self.columns = columns
        self.body = body
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// The chain's rules, checked one stored row at a time in id order, whatever store the rows
/// come from (``AuditLog/verify(expecting:)`` gives the rules). Constant memory.
public struct AuditChainVerifier: Sendable {
    private let checkpoint: AuditCheckpoint?
    private let published: AuditHead?
    private var expectedId: Int64
    private var previousHash: String
    private var checked = 0
    private var failure: AuditVerificationFailure?
    private var checkpointBacked: Bool
    private var publishedChecked = false

    /// - Parameters:
    ///   - checkpoint: the latest purge checkpoint (the chain starts after it), if any.
    ///   - published: a head published earlier, to compare.
    public init(checkpoint: AuditCheckpoint?, published: AuditHead?) {
        self.checkpoint = checkpoint
        self.published = published
        expectedId = (checkpoint?.purgedThroughId ?? 0) + 1
        previousHash = checkpoint?.lastPurgedHash ?? AuditChain.genesisHash
        checkpointBacked = checkpoint == nil
        if let published, let checkpoint, published.lastId == checkpoint.purgedThroughId {
            publishedChecked = true
            if published.hash != checkpoint.lastPurgedHash {
                fail(published.lastId, "the published head's hash differs from the checkpoint's: the purged chain was rewritten")
            }
        }
    }

    private mutating func fail(_ id: Int64?, _ reason: String) {
        if failure == nil { failure = AuditVerificationFailure(recordId: id, reason: reason) }
    }

    /// Checks the next row. - Returns: false once the chain is broken (stop reading).
    public mutating func check(_ row: StoredAuditRow) -> Bool {
        guard failure == nil else { return false }
        let id = row.id
        checked += 1
        if id != expectedId {
            let missing = expectedId == id - 1 ? "record \(expectedId) is" : "records \(expectedId)–\(id - 1) are"
            fail(id, "\(missing) missing: the chain was cut before this record")
            return false
        }
        if row.previousHash != previousHash {
            fail(id, "its previous_hash is not the hash of record \(id - 1)\(id - 1 == checkpoint?.purgedThroughId ? " (the checkpoint)" : "")")
            return false
        }
        if AuditChain.hash(previous: row.previousHash, body: row.body) != row.hash {
            fail(id, "its hash does not match its body: the body was changed")
            return false
        }
        guard let decoded = try? AuditChain.decodeBody(row.body) else {
            fail(id, "its body is not an audit event")
            return false
        }
        if decoded.id != id {
            fail(id, "its body says it is record \(decoded.id)")
            return false
        }
        let expected = IndexedColumns(decoded.event, time: decoded.time)
        if row.columns != expected {
            fail(id, "column(s) \(Self.differingColumns(row.columns, expected).joined(separator: ", ")) differ from the hashed body")
            return false
        }
        if let checkpoint, decoded.event.action == "audit.purge",
           decoded.event.details["purged_through_id"] == String(checkpoint.purgedThroughId),
           decoded.event.details["last_purged_hash"] == checkpoint.lastPurgedHash {
            checkpointBacked = true
        }
        if let published, published.lastId == id {
            publishedChecked = true
            if published.hash != row.hash {
                fail(id, "its hash differs from the published head \(published.hash)")
                return false
            }
        }
        previousHash = row.hash
        expectedId = id + 1
        return true
    }

    /// The outcome, given the head the store holds now.
    public func result(head: AuditHead) -> AuditVerification {
        var verifier = self
        if verifier.failure == nil, let checkpoint, !checkpointBacked {
            verifier.fail(nil, "checkpoint \(checkpoint.id) (records up to \(checkpoint.purgedThroughId) purged) has no matching audit.purge record")
        }
        if verifier.failure == nil, let published, published.lastId > head.lastId {
            verifier.fail(nil, "the log ends at record \(head.lastId) but a head at record \(published.lastId) was published: records were removed from the end")
        }
        return AuditVerification(
            recordsChecked: checked, head: head, checkpoint: checkpoint, failure: verifier.failure,
            checkedPublishedHead: publishedChecked)
    }

    private static func differingColumns(_ a: IndexedColumns, _ b: IndexedColumns) -> [String] {
        var names: [String] = []
        if a.time != b.time { names.append("time") }
        if a.kind != b.kind { names.append("kind") }
        if a.userId != b.userId { names.append("user_id") }
        if a.userName != b.userName { names.append("user_name") }
        if a.role != b.role { names.append("role") }
        if a.channel != b.channel { names.append("channel") }
        if a.clientAddress != b.clientAddress { names.append("client_address") }
        if a.action != b.action { names.append("action") }
        if a.question != b.question { names.append("question") }
        if a.answer != b.answer { names.append("answer") }
        if a.route != b.route { names.append("route") }
        if a.documentIds != b.documentIds { names.append("document index") }
        return names
    }
}
