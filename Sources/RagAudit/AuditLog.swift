import Foundation
import GRDB

/// How the log trades speed for durability. The defaults are the production setting.
public struct AuditLogOptions: Sendable {
    /// `synchronous = FULL` (true): every commit reaches the disk before `append` returns, at the
    /// cost of an fsync per commit. false: `NORMAL`, where a power cut may lose the last commits
    /// (never corrupt the file). Figures for both are in bench/RESULTS.md.
    public var fullSync: Bool
    /// Group commit (true): appends that arrive while a commit is in flight are written
    /// together in the next transaction, one fsync for all of them. false: one transaction per
    /// record.
    public var groupCommit: Bool
    /// The most records one group commit writes.
    public var maxBatch: Int

    public init(fullSync: Bool = true, groupCommit: Bool = true, maxBatch: Int = 256) {
        self.fullSync = fullSync
        self.groupCommit = groupCommit
        self.maxBatch = max(1, maxBatch)
    }
}

/// The tamper-evident audit log: who asked what, what they were shown, which model answered,
/// and every administrative and auditing action, in a hash chain.
///
/// **Its own file.** The log lives in its own SQLite file (by default `ragd-audit.sqlite`
/// beside the main database), a GRDB `DatabasePool` in WAL mode with `synchronous = FULL`.
/// Audit writes never wait behind an ingest transaction in the main file, and the file can be
/// backed up, shipped and permissioned on its own (e.g. readable by the auditors' group only).
///
/// **The chain.** Record *n* stores `hash = SHA256(previous_hash || body)`, in lowercase hex,
/// where `previous_hash` is record *n−1*'s hash (64 zeros before record 1, or the checkpoint's
/// hash after a purge) and `body` is the record's canonical JSON, stored verbatim in
/// `audit_record.body`:
///
///     {"event":<event JSON>,"id":<id>,"time":"YYYY-MM-DDTHH:MM:SS.ffffffZ"}
///
/// The event JSON is Foundation's `JSONEncoder` output with `[.sortedKeys,
/// .withoutEscapingSlashes]` (nil optionals left out); the time is UTC to the microsecond. An
/// outside verifier needs only SHA-256: for each row in id order, check `previous_hash` equals
/// the prior row's `hash`, that `hash` is SHA-256 of the ASCII `previous_hash` followed by the
/// UTF-8 `body`, and that the row's other columns agree with the body.
///
/// **What is evidence.** Triggers make `UPDATE` and `DELETE` fail, which stops accidents, but
/// anyone who can write the file with the sqlite3 shell can drop them. What they cannot do is
/// rewrite a record without breaking every later link, or rewrite the whole tail without the
/// head changing. So publish ``head()`` somewhere the file's owner cannot rewrite (a ticket,
/// a mail to compliance, another machine's log), and check it with ``verify(expecting:)``.
///
/// **Cost.** Appends from concurrent askers are group-committed: while one transaction is being
/// made durable, the next ones queue and are written together, so 16 askers share fsyncs
/// instead of waiting for 16 in a row. See bench/RESULTS.md for the measured latencies.
///
/// One `AuditLog` per file and process. Several processes (the daemon and `ragd audit` at the
/// command line) may append at once: each transaction reads the chain's tail it extends.
public final class AuditLog: Sendable {
    /// The audit file.
    public let path: String
    let pool: DatabasePool
    private let committer: GroupCommitter?

    /// Opens (creating if needed) the audit file at `path`.
    /// - Throws: `AuditError` when the folder cannot be created or SQLite refuses the
    ///   durability setting; GRDB's `DatabaseError` when the file is not a database or cannot
    ///   be opened for writing.
    public init(path: String, options: AuditLogOptions = AuditLogOptions()) throws {
        self.path = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw AuditError("Cannot create the folder of the audit file \(path): \(error). Check its permissions, or set audit_database.")
        }
        var config = Configuration()
        config.busyMode = .timeout(10)  // another process (ragd audit, the daemon) may be committing
        pool = try DatabasePool(path: path, configuration: config)
        // Set on the pool's one writer connection, after GRDB's WAL setup (which sets NORMAL and
        // would override a `prepareDatabase` pragma). Readers never commit, so they need none.
        let synchronous = options.fullSync ? 2 : 1  // FULL : NORMAL
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            guard try Int.fetchOne(db, sql: "PRAGMA synchronous") == synchronous else {
                throw AuditError("SQLite refused PRAGMA synchronous = \(synchronous) on \(path); the audit log will not run without it.")
            }
        }
        try AuditSchema.migrator.migrate(pool)
        committer = options.groupCommit ? GroupCommitter(pool: pool, maxBatch: options.maxBatch) : nil
    }

    /// Appends an event and returns its record once it is durable.
    ///
    /// The event is encoded on the caller's task; only the chain link and the insert happen in
    /// the write transaction.
    /// - Parameter time: when it happened (rounded to the microsecond).
    /// - Throws: `AuditError` when the event cannot be encoded (a number that is not finite);
    ///   GRDB's `DatabaseError` when the file cannot be written (disk full, permissions).
    public func append(_ event: AuditEvent, at time: Date = Date()) async throws -> AuditRecord {
        let prepared = try PreparedEvent(event, time: time)
        if let committer {
            return try await committer.append(prepared)
        }
        return try await Self.commit([prepared], to: pool)[0]
    }

    /// Writes `events` in one immediate transaction, extending the chain's current tail.
    static func commit(_ events: [PreparedEvent], to pool: DatabasePool) async throws -> [AuditRecord] {
        try await pool.writeWithoutTransaction { db in
            var records: [AuditRecord] = []
            try db.inTransaction(.immediate) {
                records = try insert(events, db)
                return .commit
            }
            return records
        }
    }

    /// The last id and hash the next record links to: the last record, else the latest
    /// checkpoint, else the genesis.
    static func tail(_ db: Database) throws -> (id: Int64, hash: String) {
        if let row = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_record ORDER BY id DESC LIMIT 1") {
            return (row[0], row[1])
        }
        if let checkpoint = try latestCheckpoint(db) {
            return (checkpoint.purgedThroughId, checkpoint.lastPurgedHash)
        }
        return (0, AuditChain.genesisHash)
    }

    /// Inserts `events` after the current tail. Call inside a write transaction.
    static func insert(_ events: [PreparedEvent], _ db: Database) throws -> [AuditRecord] {
        let (lastId, lastHash) = try tail(db)
        let insertRecord = try db.cachedStatement(sql: """
            INSERT INTO audit_record (id, time, kind, user_id, user_name, role, channel, client_address,
                action, question, answer, route, body, previous_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertDocument = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO audit_document (record_id, document_id) VALUES (?, ?)")
        let linked = AuditChain.link(events, afterId: lastId, hash: lastHash)
        for link in linked {
            let c = link.columns
            let record = link.record
            try insertRecord.execute(arguments: [
                record.id, c.time, c.kind, c.userId, c.userName, c.role, c.channel, c.clientAddress,
                c.action, c.question, c.answer, c.route, link.body, record.previousHash, record.hash,
            ])
            for documentId in c.documentIds {
                try insertDocument.execute(arguments: [record.id, documentId])
            }
        }
        return linked.map(\.record)
    }

    static func latestCheckpoint(_ db: Database) throws -> AuditCheckpoint? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT id, created_at, purged_through_id, last_purged_hash, records_purged
            FROM audit_checkpoint ORDER BY id DESC LIMIT 1
            """)
        else { return nil }
        return AuditCheckpoint(
            id: row[0], createdAt: AuditTimestamp.date(from: row[1]) ?? Date(timeIntervalSince1970: 0),
            purgedThroughId: row[2], lastPurgedHash: row[3], recordsPurged: row[4])
    }
}

/// An event encoded and timestamped, ready for the write transaction (of either store).
public struct PreparedEvent: Sendable {
    public let event: AuditEvent
    let eventJSON: String
    let time: Date
    let timeText: String

    /// - Throws: `AuditError` when the event cannot be encoded (a number that is not finite).
    public init(_ event: AuditEvent, time: Date) throws {
        self.event = event
        eventJSON = try AuditChain.eventJSON(event)
        self.time = AuditTimestamp.rounded(time)
        timeText = AuditTimestamp.string(from: time)
    }
}

/// The columns copied out of an event so SQL can index and search them (in either store).
public struct IndexedColumns: Equatable, Sendable {
    public var time: String
    public var kind: String
    public var userId: Int64?
    public var userName: String
    public var role: String
    public var channel: String
    public var clientAddress: String?
    public var action: String?
    public var question: String?
    public var answer: String?
    public var route: String?
    /// Distinct, ascending.
    public var documentIds: [Int64]

    public init(time: String, kind: String, userId: Int64?, userName: String, role: String, channel: String,
                clientAddress: String?, action: String?, question: String?, answer: String?, route: String?,
                documentIds: [Int64]) {
        self.time = time
        self.kind = kind
        self.userId = userId
        self.userName = userName
        self.role = role
        self.channel = channel
        self.clientAddress = clientAddress
        self.action = action
        self.question = question
        self.answer = answer
        self.route = route
        self.documentIds = documentIds
    }

    init(_ event: AuditEvent, time: String) {
        self.time = time
        kind = event.kind.rawValue
        userId = event.actor.userId
        userName = event.actor.name
        role = event.actor.role
        channel = event.channel
        clientAddress = event.clientAddress
        action = event.action
        question = event.question?.question
        answer = event.question?.answer
        route = event.question?.route
        documentIds = Array(Set(event.question?.sources.map(\.documentId) ?? [])).sorted()
    }
}
