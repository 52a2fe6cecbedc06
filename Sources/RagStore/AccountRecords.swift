import Foundation
import GRDB
import RagCore

/// What a user may do. Reading documents is governed by groups, not by role: an admin reads
/// only what their groups allow, like everyone else.
public enum Role: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Asks questions and sees their own history.
    case employee
    /// Manages sources, documents, re-ingest jobs and users.
    case admin
    /// Reads and exports the audit log.
    case auditor
}

/// A row of `user`.
public struct UserRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "user"
    public var id: Int64?
    public var name: String
    /// bcrypt hash; nil for accounts that only sign in through a trusted proxy header.
    public var passwordHash: String?
    public var role: Role
    /// JSON array of group names.
    public var groups: String
    public var disabled: Bool
    public var createdAt: Date
    /// The person's name as written in documents ("Alice Example"); nil when not given.
    public var displayName: String?
    /// `issuer#sub` when the account signs in through the identity provider.
    public var oidcSubject: String? = nil

    public init(id: Int64? = nil, name: String, passwordHash: String?, role: Role, groups: [String],
                disabled: Bool = false, createdAt: Date = Date(), displayName: String? = nil) {
        self.id = id
        self.name = name
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.role = role
        self.groups = GroupList.encode(groups)
        self.disabled = disabled
        self.createdAt = createdAt
    }

    public var groupList: [String] { GroupList.decode(groups) }

    enum CodingKeys: String, CodingKey {
        case id, name, role, groups, disabled
        case passwordHash = "password_hash"
        case createdAt = "created_at"
        case displayName = "display_name"
        case oidcSubject = "oidc_subject"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `history`: one question a user asked and what they were shown.
public struct HistoryRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "history"
    public var id: Int64?
    public var userId: Int64
    public var question: String
    public var answer: String
    /// How the answer was produced (stored as its raw value).
    public var path: AnswerPath
    /// JSON array of `HistorySource`.
    public var sources: String
    public var createdAt: Date
    /// The conversation this entry is a turn of (nil: a question on its own).
    public var conversationId: String?
    /// Its number in the conversation, from 1.
    public var turn: Int?
    /// The standalone query a follow-up was searched for (nil: the question as typed).
    public var searchedFor: String?
    // What the answer cost and how it went, for the admins' analytics page and `ragd
    // export-training` (nil in entries from before they were kept).
    /// Where the question came from: web, api or openai.
    public var channel: String?
    /// Milliseconds from the question to the first text shown (evidence or sentence).
    public var firstShownMs: Double?
    /// Milliseconds from the question to the whole answer.
    public var totalMs: Double?
    /// Tokens the models read and wrote, both tiers together.
    public var promptTokens: Int?
    public var generatedTokens: Int?
    /// Of those, the tokens of the larger tier (read plus written): what a paid endpoint bills.
    public var largeModelTokens: Int?
    /// "passed" or "failed": the citation check of the model-written text (nil: no model wrote).
    public var verification: String?
    /// Generated sentences withheld because no source supported them.
    public var withheld: Int?
    /// JSON array of the source numbers the answer cites.
    public var cited: String?
    /// JSON array of `HistoryPassage`: the passages the larger model was given (nil: it was not asked).
    public var passages: String?

    public init(userId: Int64, question: String, answer: String, path: AnswerPath, sources: [HistorySource],
                searchedFor: String? = nil, createdAt: Date = Date()) {
        self.searchedFor = searchedFor
        self.userId = userId
        self.question = question
        self.answer = answer
        self.path = path
        self.sources = String(decoding: (try? JSONEncoder().encode(sources)) ?? Data("[]".utf8), as: UTF8.self)
        self.createdAt = createdAt
    }

    public var sourceList: [HistorySource] {
        (try? JSONDecoder().decode([HistorySource].self, from: Data(sources.utf8))) ?? []
    }

    /// The source numbers the answer cites (nil in entries from before they were kept).
    public var citedNumbers: [Int]? {
        get { cited.flatMap { try? JSONDecoder().decode([Int].self, from: Data($0.utf8)) } }
        set { cited = newValue.map { String(decoding: (try? JSONEncoder().encode($0)) ?? Data("[]".utf8), as: UTF8.self) } }
    }

    /// The passages the larger model was given (nil when it was not asked).
    public var passageList: [HistoryPassage]? {
        get { passages.flatMap { try? JSONDecoder().decode([HistoryPassage].self, from: Data($0.utf8)) } }
        set { passages = newValue.map { String(decoding: (try? JSONEncoder().encode($0)) ?? Data("[]".utf8), as: UTF8.self) } }
    }

    enum CodingKeys: String, CodingKey {
        case id, question, answer, path, sources, channel, verification, withheld, cited, passages
        case userId = "user_id"
        case createdAt = "created_at"
        case conversationId = "conversation_id"
        case turn
        case searchedFor = "searched_for"
        case firstShownMs = "first_shown_ms"
        case totalMs = "total_ms"
        case promptTokens = "prompt_tokens"
        case generatedTokens = "generated_tokens"
        case largeModelTokens = "large_model_tokens"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `conversation`: a user's thread of questions.
public struct ConversationRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "conversation"
    /// Random (a UUID, lower case).
    public var id: String
    public var userId: Int64
    /// The first question.
    public var title: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String = UUID().uuidString.lowercased(), userId: Int64, title: String, createdAt: Date = Date()) {
        self.id = id
        self.userId = userId
        self.title = String(title.prefix(200))
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, title
        case userId = "user_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// A source as remembered in a history entry.
public struct HistorySource: Codable, Sendable, Equatable {
    public var number: Int
    public var documentId: Int64
    public var title: String
    public var location: String
    public var link: String
    public init(number: Int, documentId: Int64, title: String, location: String, link: String) {
        self.number = number
        self.documentId = documentId
        self.title = title
        self.location = location
        self.link = link
    }
}

/// A passage as the larger model read it: which document, where, and the (trimmed) text.
public struct HistoryPassage: Codable, Sendable, Equatable {
    public var number: Int
    public var documentId: Int64
    /// The section path or title the prompt put above the text.
    public var heading: String
    public var text: String
    public init(number: Int, documentId: Int64, heading: String, text: String) {
        self.number = number
        self.documentId = documentId
        self.heading = heading
        self.text = text
    }
}

/// A row of `ingest_job`: re-ingest work an admin asked for.
public struct IngestJobRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "ingest_job"
    public enum Scope: String, Codable, Sendable, DatabaseValueConvertible { case all, source, document }
    public enum Status: String, Codable, Sendable, DatabaseValueConvertible {
        case queued, running, done, failed, cancelled
        public var isFinished: Bool { self == .done || self == .failed || self == .cancelled }
    }
    public var id: Int64?
    public var scope: Scope
    public var sourceId: Int64?
    public var documentId: Int64?
    public var status: Status
    public var cancelRequested: Bool
    public var requestedBy: String
    public var force: Bool
    public var filesDone: Int
    public var filesTotal: Int
    public var chunks: Int
    public var currentPath: String?
    public var message: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(id: Int64?, scope: Scope, sourceId: Int64?, documentId: Int64?, status: Status, cancelRequested: Bool,
                requestedBy: String, force: Bool, filesDone: Int, filesTotal: Int, chunks: Int, currentPath: String?,
                message: String?, createdAt: Date, startedAt: Date?, finishedAt: Date?) {
        self.id = id
        self.scope = scope
        self.sourceId = sourceId
        self.documentId = documentId
        self.status = status
        self.cancelRequested = cancelRequested
        self.requestedBy = requestedBy
        self.force = force
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.chunks = chunks
        self.currentPath = currentPath
        self.message = message
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, scope, status, force, chunks, message
        case sourceId = "source_id"
        case documentId = "document_id"
        case cancelRequested = "cancel_requested"
        case requestedBy = "requested_by"
        case filesDone = "files_done"
        case filesTotal = "files_total"
        case currentPath = "current_path"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Group lists as stored: a sorted JSON array of trimmed, non-empty names.
public enum GroupList {
    public static func encode(_ groups: [String]) -> String {
        let clean = Set(groups.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }).sorted()
        return String(decoding: (try? JSONEncoder().encode(clean)) ?? Data("[]".utf8), as: UTF8.self)
    }

    public static func decode(_ json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    /// "hr, finance" → ["finance", "hr"].
    public static func parse(_ text: String) -> [String] {
        GroupList.decode(encode(text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)))
    }
}
