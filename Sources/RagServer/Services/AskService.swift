import Foundation
import RagCore
import Logging
import RagAssistant
import RagStore

/// Where a question came from, for history, metrics and the audit log.
public enum AskChannel: String, Sendable, Codable {
    case web, api, openai
}

/// A source as a reader sees it: where it is, a link they may open, the passage.
public struct SourceView: Codable, Sendable, Equatable {
    public var number: Int
    public var documentId: Int64
    public var title: String
    public var location: String
    public var link: String
    public var excerpt: String
    public var similarity: Double

    init(_ source: Source) {
        number = source.number
        documentId = source.documentId
        title = source.title
        location = source.location
        link = Self.link(for: source)
        excerpt = source.text
        similarity = (source.similarity * 1000).rounded() / 1000
    }

    /// The original file of `source`, at its page (PDF) or its section anchor (HTML).
    static func link(for source: Source) -> String {
        let base = "/documents/\(source.documentId)"
        if source.format == .pdf, let page = source.pageStart { return base + "#page=\(page)" }
        if let anchor = source.anchor, !anchor.isEmpty {
            return base + "#" + (anchor.addingPercentEncoding(withAllowedCharacters: .urlFragmentAllowed) ?? "")
        }
        return base
    }

    enum CodingKeys: String, CodingKey {
        case number, title, location, link, excerpt, similarity
        case documentId = "document_id"
    }
}

/// A finished answer as readers and API clients see it.
public struct AnswerView: Codable, Sendable, Equatable {
    public var question: String
    public var answer: String
    public var path: AnswerPath
    public var route: RouteDecision
    public var sources: [SourceView]
    public var cited: [Int]
    public var historyId: Int64?
    public var confidence: Double
    public var retrievalMs: Double
    public var firstTokenMs: Double?
    public var totalMs: Double
    public var promptTokens: Int
    public var generatedTokens: Int
    /// The passage shown before the model wrote, if one states what was asked.
    public var evidence: EvidenceView?
    /// Generated sentences withheld because no source supports them.
    public var withheld: Int
    /// Time to the first text shown (evidence or sentence).
    public var firstShownMs: Double?
    /// Time to the first verified model-written sentence.
    public var firstSentenceMs: Double?
    /// The conversation this answer is a turn of (nil for OpenAI-compatible requests).
    public var conversationId: String?
    /// Its turn number in that conversation, from 1.
    public var turn: Int?
    /// The standalone query a follow-up was searched for; nil when the question was searched as typed.
    public var searchedFor: String?

    init(_ answer: Answer, historyId: Int64?, conversationId: String? = nil, turn: Int? = nil) {
        self.conversationId = conversationId
        self.turn = turn
        searchedFor = answer.rewrite.rewritten ? answer.rewrite.query : nil
        question = answer.question
        self.answer = answer.text
        path = answer.path
        route = answer.route
        sources = answer.sources.map(SourceView.init)
        cited = answer.cited
        self.historyId = historyId
        confidence = (answer.confidence * 1000).rounded() / 1000
        retrievalMs = answer.retrievalMilliseconds.rounded()
        firstTokenMs = answer.timeToFirstTokenMilliseconds?.rounded()
        totalMs = answer.totalMilliseconds.rounded()
        promptTokens = answer.promptTokens
        generatedTokens = answer.generatedTokens
        evidence = answer.evidence.flatMap { e in answer.sources.first { $0.number == e.number }.map { EvidenceView(e, source: $0) } }
        withheld = answer.path == .smallModel || answer.path == .largeModel ? answer.withheld.count : 0
        firstShownMs = answer.timeToFirstShownMilliseconds?.rounded()
        firstSentenceMs = answer.timeToFirstSentenceMilliseconds?.rounded()
    }

    enum CodingKeys: String, CodingKey {
        case question, answer, path, route, sources, cited, confidence, evidence, withheld, turn
        case conversationId = "conversation_id"
        case searchedFor = "searched_for"
        case firstShownMs = "first_shown_ms"
        case firstSentenceMs = "first_sentence_ms"
        case historyId = "history_id"
        case retrievalMs = "retrieval_ms"
        case firstTokenMs = "first_token_ms"
        case totalMs = "total_ms"
        case promptTokens = "prompt_tokens"
        case generatedTokens = "generated_tokens"
    }
}

/// The evidence passage: a sentence quoted verbatim from a source, with where it is.
public struct EvidenceView: Codable, Sendable, Equatable {
    public var number: Int
    public var sentence: String
    public var title: String
    public var location: String
    public var link: String

    init(_ evidence: Evidence, source: Source) {
        number = evidence.number
        sentence = evidence.sentence
        title = source.title
        location = source.location
        link = SourceView.link(for: source)
    }
}

/// What a streamed answer sends, in order: sources, the evidence passage (if one states what
/// was asked), the route, verified text (sentences as they pass the citation check; a count
/// when one is withheld), then exactly one `done` (or an error). Nothing sent is taken back.
public enum AskEvent: Sendable, Equatable {
    /// A follow-up is searched for as this standalone query.
    case searchedFor(String)
    case sources([SourceView])
    case evidence(EvidenceView)
    case route(RouteDecision)
    case text(String)
    case withheld(Int)
    case done(AnswerView)
}

/// Which conversation a question belongs to.
public enum ConversationInput: Sendable {
    /// A stored conversation of the asker's: continue the one with this id, or start a new one (nil).
    case stored(id: String?)
    /// Earlier turns the client sent itself (the OpenAI-compatible endpoint's `messages`);
    /// nothing is stored as a conversation.
    case given(Conversation)
}

/// Answers questions for signed-in users: admission control, rate limit, the assistant with
/// the user's access filter, then history, metrics and the audit record.
public struct AskService: Sendable {
    public let assistant: Assistant
    public let store: RagStore
    let gate: AnswerGate
    let limiter: RateLimiter
    /// Askers with a draft's prefill in flight (one each).
    let drafts = DraftPrefills()
    let metrics: ServerMetrics
    let audit: AuditLogRecorder?
    let logger: Logger
    /// The larger tier's price per 1,000 tokens (`ServerConfiguration.largeModelPricePer1kTokens`).
    let pricePer1kTokens: Double

    /// Longest question accepted, in characters.
    public static let maxQuestionLength = 2000

    init(assistant: Assistant, store: RagStore, configuration: ServerConfiguration, metrics: ServerMetrics,
         audit: AuditLogRecorder?, logger: Logger) {
        self.assistant = assistant
        self.store = store
        self.gate = AnswerGate(maxRunning: configuration.maxConcurrentAnswers,
                               maxWaiting: configuration.maxWaitingAnswers, metrics: metrics)
        self.limiter = RateLimiter(limit: configuration.questionsPerMinute, window: 60)
        self.metrics = metrics
        self.audit = audit
        self.logger = logger
        self.pricePer1kTokens = configuration.largeModelPricePer1kTokens
    }

    /// What the analytics page and the training export read later: timings, tokens, the
    /// verification verdict, the citations, and the passages the larger model was given.
    static func addMeasures(of answer: Answer, channel: AskChannel, to entry: inout HistoryRecord) {
        entry.channel = channel.rawValue
        entry.firstShownMs = answer.timeToFirstShownMilliseconds?.rounded()
        entry.totalMs = answer.totalMilliseconds.rounded()
        entry.promptTokens = answer.promptTokens
        entry.generatedTokens = answer.generatedTokens
        entry.largeModelTokens = answer.largeModelTokens
        entry.verification = answer.verification.map { $0.passed ? "passed" : "failed" }
        entry.withheld = answer.withheld.count
        entry.citedNumbers = answer.cited
        if !answer.largeModelPassages.isEmpty {
            entry.passageList = answer.largeModelPassages.map { p in
                HistoryPassage(number: p.number, documentId: p.documentId,
                               heading: p.sectionPath.isEmpty ? p.title : p.sectionPath, text: p.text)
            }
        }
    }

    /// Checks a question and the asker's rate. - Throws: 400 or 429 with Retry-After.
    func admit(_ question: String, identity: Identity) async throws -> String {
        let question = try Self.trimmed(question)
        if let wait = await limiter.hit("user:\(identity.userId)") {
            metrics.rejected("rate_limit")
            throw ServerError(.tooManyRequests, "You have asked many questions in the last minute. Try again in \(wait) s.",
                              headers: [.retryAfter: String(wait)])
        }
        return question
    }

    /// The question without surrounding white space. - Throws: 400 when that is empty or too long.
    static func trimmed(_ question: String) throws -> String {
        let question = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty else { throw ServerError.badRequest("Type a question first.") }
        guard question.count <= maxQuestionLength else {
            throw ServerError.badRequest("Questions are limited to \(maxQuestionLength) characters.")
        }
        return question
    }

    /// The conversation resolved for one question: where its turn is stored, and the earlier
    /// turns the asker may still see.
    struct ConversationState: Sendable {
        /// nil for turns the client sent itself (nothing stored as a conversation).
        var id: String?
        var turn: Int?
        var earlier: Conversation
    }

    /// How much of a conversation is kept and used.
    var limits: ConversationLimits { assistant.rewriter.limits }

    /// - Throws: 404 when `id` is not one of the asker's conversations; 400 when it is full.
    func resolve(_ input: ConversationInput, identity: Identity) throws -> ConversationState {
        switch input {
        case .given(let conversation):
            return ConversationState(id: nil, turn: nil, earlier: conversation)
        case .stored(nil):
            return ConversationState(id: UUID().uuidString.lowercased(), turn: 1, earlier: .empty)
        case .stored(let id?):
            guard let found = try store.history.conversation(id: id, userId: identity.userId) else {
                throw ServerError(.notFound, "There is no such conversation (it was deleted, or it is not yours). Start a new conversation.")
            }
            guard found.turns.count < limits.maxTurns else {
                throw ServerError.badRequest("This conversation has reached \(limits.maxTurns) questions. Start a new conversation.")
            }
            let visible = try visibleTurns(found.turns, access: identity.access)
            let onPrem = try store.onPremOnlyDocumentIds(Array(Set(visible.flatMap { $0.sourceList.map(\.documentId) })))
            let earlier = visible.map {
                Conversation.Turn(question: $0.question, searchedFor: $0.searchedFor, answer: $0.answer,
                                  keptOnPrem: $0.sourceList.contains { onPrem.contains($0.documentId) })
            }
            return ConversationState(id: id, turn: (found.turns.compactMap(\.turn).max() ?? found.turns.count) + 1,
                                     earlier: Conversation(turns: earlier))
        }
    }

    /// The turns a reader with `access` may still see. A turn that showed a source they can no
    /// longer read (their groups changed, or the document went) is left out whole, question,
    /// search and answer: nothing of it reaches the rewrite, the prompt or the page.
    func visibleTurns(_ turns: [HistoryRecord], access: AccessFilter) throws -> [HistoryRecord] {
        let ids = Array(Set(turns.flatMap { $0.sourceList.map(\.documentId) }))
        let readable = try store.readableDocumentIds(ids, access: access)
        return turns.filter { $0.sourceList.allSatisfy { readable.contains($0.documentId) } }
    }

    /// Reads the prompt of a draft question while the asker is still typing (see
    /// `Assistant.prefill`), with the asker's access and conversation. Best effort: skipped when
    /// every answer turn is taken or someone waits, and when the asker has one in flight. Not a
    /// question: nothing is shown, stored, audited or counted against the asker's rate.
    /// - Returns: whether the prompt was read. - Throws: 400 for an empty or too long draft,
    ///   404 for a conversation that is not the asker's.
    func prefill(_ draft: String, identity: Identity, conversation: ConversationInput) async throws -> Bool {
        let draft = try Self.trimmed(draft)
        let state = try resolve(conversation, identity: identity)
        guard await drafts.begin(identity.userId) else { metrics.prefill("skipped"); return false }
        defer { Task { await drafts.end(identity.userId) } }
        guard await gate.tryEnter() else { metrics.prefill("skipped"); return false }
        defer { Task { await gate.leave() } }
        do {
            let done = try await assistant.prefill(draft, access: identity.access, conversation: state.earlier)
            metrics.prefill(done ? "prefilled" : "skipped")
            return done
        } catch {
            metrics.prefill("failed")
            logger.debug("draft prefill failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Streams the answer. Admission (rate limit, queue) and the conversation are checked
    /// before the stream starts, so a refusal is a plain HTTP error.
    func ask(_ question: String, identity: Identity, clientAddress: String?, channel: AskChannel,
             conversation: ConversationInput = .stored(id: nil)) async throws
        -> AsyncThrowingStream<AskEvent, any Error>
    {
        let question = try await admit(question, identity: identity)
        let state = try resolve(conversation, identity: identity)
        try await gate.enter()
        let (stream, continuation) = AsyncThrowingStream<AskEvent, any Error>.makeStream()
        let task = Task {
            defer { Task { await gate.leave() } }
            var shownSources: [Source] = []
            do {
                for try await event in assistant.answer(question, access: identity.access, conversation: state.earlier) {
                    switch event {
                    case .searchedFor(let rewrite):
                        continuation.yield(.searchedFor(rewrite.query))
                    case .sources(let sources):
                        shownSources = sources
                        continuation.yield(.sources(sources.map(SourceView.init)))
                    case .evidence(let evidence):
                        if let source = shownSources.first(where: { $0.number == evidence.number }) {
                            continuation.yield(.evidence(EvidenceView(evidence, source: source)))
                        }
                    case .route(let route):
                        continuation.yield(.route(route))
                    case .text(let piece): continuation.yield(.text(piece))
                    case .withheld(let count): continuation.yield(.withheld(count))
                    case .answer(let answer):
                        let saved = try await finish(answer, identity: identity, clientAddress: clientAddress, channel: channel,
                                                     conversation: state)
                        continuation.yield(.done(AnswerView(
                            answer, historyId: saved?.id, conversationId: state.id, turn: saved?.turn ?? state.turn)))
                    }
                }
                continuation.finish()
            } catch {
                logger.error("answer failed", metadata: ["user": "\(identity.name)", "error": "\(error)"])
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The whole answer at once.
    func complete(_ question: String, identity: Identity, clientAddress: String?, channel: AskChannel,
                  conversation: ConversationInput = .stored(id: nil)) async throws -> AnswerView {
        for try await event in try await ask(question, identity: identity, clientAddress: clientAddress, channel: channel,
                                             conversation: conversation) {
            if case .done(let view) = event { return view }
        }
        throw ServerError(.internalServerError, "The answer ended early; see the daemon's log.")
    }

    /// Audit, history, metrics. - Returns: the history entry's id.
    /// - Throws: 500 when the audit record cannot be written: an answer nobody could later
    ///   account for is withheld.
    private func finish(_ answer: Answer, identity: Identity, clientAddress: String?, channel: AskChannel,
                        conversation: ConversationState) async throws -> HistoryRecord? {
        if let audit {
            do {
                try await audit.recordQuestion(answer, identity: identity, clientAddress: clientAddress, channel: channel,
                                               conversationId: conversation.id, turn: conversation.turn)
            } catch {
                logger.critical("audit record not written; answer withheld", metadata: ["error": "\(error)"])
                throw ServerError(.internalServerError,
                                  "The answer could not be recorded in the audit log, so it is withheld. Tell an administrator.")
            }
        }
        metrics.answered(path: answer.path.rawValue, channel: channel.rawValue, promptTokens: answer.promptTokens,
                         generatedTokens: answer.generatedTokens, largeModelTokens: answer.largeModelTokens,
                         pricePer1k: pricePer1kTokens)
        if let ttft = answer.timeToFirstTokenMilliseconds { metrics.firstToken.record(.milliseconds(ttft)) }
        metrics.answerTotal.record(.milliseconds(answer.totalMilliseconds))
        metrics.retrieval.record(.milliseconds(answer.retrievalMilliseconds))
        // Question text stays out of info logs (debug only).
        logger.info("answered", metadata: [
            "user": "\(identity.name)", "channel": "\(channel.rawValue)", "path": "\(answer.path.rawValue)",
            "sources": "\(answer.sources.count)", "total_ms": "\(Int(answer.totalMilliseconds))",
        ])
        logger.debug("question", metadata: ["text": "\(answer.question)"])
        do {
            let sources = answer.sources.map { s in
                HistorySource(number: s.number, documentId: s.documentId, title: s.title, location: s.location,
                              link: SourceView.link(for: s))
            }
            var entry = HistoryRecord(
                userId: identity.userId, question: answer.question, answer: answer.text, path: answer.path,
                sources: sources, searchedFor: answer.rewrite.rewritten ? answer.rewrite.query : nil)
            Self.addMeasures(of: answer, channel: channel, to: &entry)
            if let id = conversation.id { return try store.history.addTurn(entry, conversationId: id) }
            return try store.history.add(entry)
        } catch {
            logger.error("history not saved", metadata: ["error": "\(error)"])
            return nil
        }
    }
}

/// The askers whose draft question is being prefilled: one at a time each.
actor DraftPrefills {
    private var users: Set<Int64> = []

    /// False when `user` has one in flight already.
    func begin(_ user: Int64) -> Bool { users.insert(user).inserted }
    func end(_ user: Int64) { users.remove(user) }
}
