import Foundation

/// One stored event, with its place in the hash chain.
///
/// Encoded (in exports and JSON output) as
/// `{"event":{...},"hash":"…","id":7,"previousHash":"…","time":"2026-11-22T09:41:07.123456Z"}`:
/// the time in the log's own fixed form (see ``AuditLog``), whatever the encoder's date strategy.
public struct AuditRecord: Codable, Sendable, Equatable {
    /// The record's place in the log: 1, 2, 3, ... with no gaps (a purge removes a prefix).
    public var id: Int64
    /// When it happened, to the microsecond (UTC).
    public var time: Date
    public var event: AuditEvent
    /// The previous record's `hash` (64 zeros for record 1; a checkpoint's hash after a purge).
    public var previousHash: String
    /// `SHA256(previousHash || canonical body)`, lowercase hex. See ``AuditLog`` for the exact bytes.
    public var hash: String

    public init(id: Int64, time: Date, event: AuditEvent, previousHash: String, hash: String) {
        self.id = id
        self.time = time
        self.event = event
        self.previousHash = previousHash
        self.hash = hash
    }

    enum CodingKeys: String, CodingKey { case id, time, event, previousHash, hash }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int64.self, forKey: .id)
        let text = try c.decode(String.self, forKey: .time)
        guard let date = AuditTimestamp.date(from: text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .time, in: c, debugDescription: "\(text) is not of the form 2026-11-22T09:41:07.123456Z")
        }
        time = date
        event = try c.decode(AuditEvent.self, forKey: .event)
        previousHash = try c.decode(String.self, forKey: .previousHash)
        hash = try c.decode(String.self, forKey: .hash)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(AuditTimestamp.string(from: time), forKey: .time)
        try c.encode(event, forKey: .event)
        try c.encode(previousHash, forKey: .previousHash)
        try c.encode(hash, forKey: .hash)
    }
}

/// The last record of the log: publish its hash somewhere the log's owner cannot rewrite.
public struct AuditHead: Codable, Sendable, Equatable {
    /// The last record's id (0 when the log is empty).
    public var lastId: Int64
    /// The last record's hash (the genesis or checkpoint hash when the log is empty).
    public var hash: String
    /// How many records the file holds now (purged records are not counted).
    public var count: Int

    public init(lastId: Int64, hash: String, count: Int) {
        self.lastId = lastId
        self.hash = hash
        self.count = count
    }
}

/// Where a purge cut the chain: records up to `purgedThroughId` are gone; the next record's
/// `previousHash` is `lastPurgedHash`.
public struct AuditCheckpoint: Codable, Sendable, Equatable {
    /// The checkpoint's own sequence number (1 for the first purge that removed anything).
    public var id: Int64
    /// When the purge ran.
    public var createdAt: Date
    /// The last record removed; the chain now starts at the record after it.
    public var purgedThroughId: Int64
    /// That record's hash: the `previousHash` of the first record kept.
    public var lastPurgedHash: String
    /// How many records this purge removed.
    public var recordsPurged: Int

    public init(id: Int64, createdAt: Date, purgedThroughId: Int64, lastPurgedHash: String, recordsPurged: Int) {
        self.id = id
        self.createdAt = createdAt
        self.purgedThroughId = purgedThroughId
        self.lastPurgedHash = lastPurgedHash
        self.recordsPurged = recordsPurged
    }
}
