/// Who did something: the identity the request was served under, as it was at that moment.
public struct AuditActor: Codable, Sendable, Equatable {
    /// The account's id, or nil for a local administrator at the command line.
    public var userId: Int64?
    /// The account's login name.
    public var name: String
    /// The account's role (e.g. `user`, `admin`, `auditor`).
    public var role: String
    /// The access groups the account belonged to when the event happened.
    public var groups: [String]

    public init(userId: Int64?, name: String, role: String, groups: [String]) {
        self.userId = userId
        self.name = name
        self.role = role
        self.groups = groups
    }
}

/// What sort of event a record holds.
public enum AuditKind: String, Codable, Sendable, CaseIterable {
    /// A question and the answer the system showed.
    case question
    /// An administrative change: sources, documents, accounts, roles.
    case admin
    /// The auditors' own work: searches, exports and purges of this log.
    case audit
}

/// One source the answer was built from, pinned to the exact document version shown.
public struct AuditSource: Codable, Sendable, Equatable {
    /// The document's id in the main database.
    public var documentId: Int64
    /// The document's version when the answer was made (a re-ingested file gets a new one).
    public var documentVersion: Int
    /// SHA-256 of the document's content at that version (hex), when known.
    public var contentSHA256: String?
    /// The document's title as shown to the user.
    public var title: String
    /// Where in the document: "page 3", or a section path such as "Guide › Install".
    public var location: String
    /// The chunks of the document that went into the prompt.
    public var chunkIds: [Int64]
    /// The retrieval score that ranked it.
    public var score: Double

    public init(
        documentId: Int64, documentVersion: Int, contentSHA256: String?, title: String, location: String,
        chunkIds: [Int64], score: Double
    ) {
        self.documentId = documentId
        self.documentVersion = documentVersion
        self.contentSHA256 = contentSHA256
        self.title = title
        self.location = location
        self.chunkIds = chunkIds
        self.score = score
    }
}

/// A question, what the system answered, from which sources, by which path and model.
public struct AuditQuestion: Codable, Sendable, Equatable {
    /// The question as the user typed it.
    public var question: String
    /// The answer exactly as shown to the user.
    public var answer: String
    /// The sources the answer was built from, in the order they were numbered.
    public var sources: [AuditSource]
    /// The path that produced the answer: `small_model`, `large_model`, `quoted_fallback` or `not_found`.
    public var route: String
    /// The model that wrote the answer (nil for `quoted_fallback` and `not_found`).
    public var model: String?
    /// SHA-256 of the model file (hex), when the model is a local file.
    public var modelSHA256: String?
    /// Why the router chose this path.
    public var routeReason: String
    /// The citation check's verdict, if one ran.
    public var verification: String?
    /// Time spent retrieving, in milliseconds.
    public var retrievalMs: Double
    /// Time to the first generated token, in milliseconds (nil when nothing was generated).
    public var firstTokenMs: Double?
    /// Time from question to complete answer, in milliseconds.
    public var totalMs: Double
    /// Tokens in the prompt the model read.
    public var promptTokens: Int
    /// Tokens the model generated.
    public var generatedTokens: Int
    /// How many retrieved candidates access control hid from this user: a count only, never which.
    public var filteredOut: Int
    /// Sentences the model wrote that were not shown, each with the reason (absent when none).
    public var withheld: [AuditWithheldSentence]?
    /// The evidence passage shown before the model wrote: "[n] sentence" (absent when none).
    public var evidence: String?
    /// The conversation the question is a turn of (absent for a question on its own).
    public var conversationId: String?
    /// The turn's number in that conversation, from 1.
    public var turn: Int?
    /// The standalone query a follow-up was searched for, and routed by (absent: as typed).
    public var searchedFor: String?
    /// How that query was made: `carry_over` or `model`.
    public var rewriteMethod: String?
    /// Personal data replaced by placeholders before the prompt went to the larger model,
    /// by kind and count; never the values (absent when nothing was replaced).
    public var redacted: [String: Int]?
    /// Source numbers whose passages were kept from the larger model by their source's
    /// policy (absent when none).
    public var keptOnPrem: [Int]?

    public init(
        question: String, answer: String, sources: [AuditSource], route: String, model: String?,
        modelSHA256: String?, routeReason: String, verification: String?, retrievalMs: Double,
        firstTokenMs: Double?, totalMs: Double, promptTokens: Int, generatedTokens: Int, filteredOut: Int
    ) {
        self.question = question
        self.answer = answer
        self.sources = sources
        self.route = route
        self.model = model
        self.modelSHA256 = modelSHA256
        self.routeReason = routeReason
        self.verification = verification
        self.retrievalMs = retrievalMs
        self.firstTokenMs = firstTokenMs
        self.totalMs = totalMs
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.filteredOut = filteredOut
    }
}

/// A generated sentence that verification held back, and why.
public struct AuditWithheldSentence: Codable, Sendable, Equatable {
    public var sentence: String
    public var reason: String

    public init(sentence: String, reason: String) {
        self.sentence = sentence
        self.reason = reason
    }
}

/// One thing that happened: a question answered, an administrative action, or an auditor's action.
public struct AuditEvent: Codable, Sendable, Equatable {
    /// What sort of event this is.
    public var kind: AuditKind
    /// Who did it.
    public var actor: AuditActor
    /// The client's network address, when the event came over the network.
    public var clientAddress: String?
    /// How it arrived: `web`, `api`, `openai` or `cli`.
    public var channel: String
    /// The question and answer, for `.question` events.
    public var question: AuditQuestion?
    /// What was done, for `.admin` and `.audit` events: `source.add`, `reingest`, `document.delete`,
    /// `user.add`, `role.change`, `audit.export`, `audit.search`, `audit.purge`, ...
    public var action: String?
    /// Free-form parameters of the action (the target's id, the export's filter, ...).
    public var details: [String: String]

    public init(
        kind: AuditKind, actor: AuditActor, clientAddress: String? = nil, channel: String,
        question: AuditQuestion? = nil, action: String? = nil, details: [String: String] = [:]
    ) {
        self.kind = kind
        self.actor = actor
        self.clientAddress = clientAddress
        self.channel = channel
        self.question = question
        self.action = action
        self.details = details
    }

    /// A question answered.
    public static func question(
        _ question: AuditQuestion, actor: AuditActor, channel: String, clientAddress: String? = nil
    ) -> AuditEvent {
        AuditEvent(kind: .question, actor: actor, clientAddress: clientAddress, channel: channel, question: question)
    }
}
