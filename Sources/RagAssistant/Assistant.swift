import Foundation
import RagCore
import RagInference
import RagStore

/// The query service: retrieve, show evidence, prompt, generate, verify as the model writes,
/// route; every answer names its path. Only verified text is ever streamed.
///
/// 0. A follow-up in a conversation is turned into a standalone search query (`QueryRewriter`).
/// 1. Hybrid retrieval with the user's access filter inside the SQL, near-duplicates dropped.
/// 2. Too little evidence (best similarity under `RoutingPolicy.notFoundBelow`): the answer
///    says the documents do not answer, and lists the closest sources.
/// 3. The source sentence that best states what was asked is shown at once, marked as a quote
///    (the evidence), so the reader can start before the model has written anything.
/// 4. The router picks the small or the larger model. The reply is cut into sentences as it
///    streams; each is shown only once it is complete and supported by a source (the one it
///    cites, or the one the verifier attaches); unsupported ones are withheld and counted.
/// 5. If nothing the small model wrote survives, the larger model (if configured) tries; if
///    nothing survives again, the evidence is quoted, or the answer says the documents do not
///    answer when no sentence states what was asked.
public struct Assistant: Sendable {
    public var retriever: Retriever
    public let smallModel: any ChatModel
    public let largeModel: (any ChatModel)?
    public var router: Router
    public var prompt = PromptBuilder()
    public var verifier: CitationVerifier
    public var fallback = QuotedFallback()
    public var generation = GenerationOptions(maxTokens: 120, temperature: 0, repeatPenalty: 1.05)
    /// Sources whose sentences are indexed for evidence, prompt trimming and verification.
    public var indexedSources = 5
    /// When false, nothing is quoted when no generated sentence survives (`ragd eval` uses it
    /// to measure the model's own answers).
    public var quotedFallbackEnabled = true
    /// Turns a follow-up into a standalone search query (see `QueryRewriter`).
    public var rewriter = QueryRewriter()
    /// The model of the database's active vector index, when an embedding-model migration can
    /// switch it while this assistant serves (`ragd serve`): each answer pins one model for its
    /// question, its search and its verification. nil: `retriever.embedder` throughout.
    public var embeddings: ActiveEmbedding?
    /// The excerpts prefilled drafts were prompted with, reused by the questions that complete
    /// them (shared by the copies of this assistant).
    public var drafts = DraftExcerpts()

    public init(retriever: Retriever, smallModel: any ChatModel, largeModel: (any ChatModel)? = nil,
                policy: RoutingPolicy = RoutingPolicy()) {
        self.retriever = retriever
        self.smallModel = smallModel
        self.largeModel = largeModel
        self.router = Router(policy: policy, smallModel: smallModel.identifier, largeModel: largeModel?.identifier)
        self.verifier = CitationVerifier(embedder: retriever.embedder)
    }

    public static let notFoundText = "The documents do not answer this question. The closest sources are listed below."

    /// Streams the answer to `question` for a reader with `access`, after the earlier turns of
    /// `conversation` (whose turns the reader may still see).
    public func answer(_ question: String, access: AccessFilter, method: SearchMethod = .hybrid,
                       conversation: Conversation = .empty)
        -> AsyncThrowingStream<AnswerEvent, any Error>
    {
        let (stream, continuation) = AsyncThrowingStream<AnswerEvent, any Error>.makeStream()
        let task = Task {
            do {
                let answer = try await run(question, access: access, method: method, conversation: conversation) {
                    continuation.yield($0)
                }
                continuation.yield(.answer(answer))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The whole answer, without streaming.
    public func complete(_ question: String, access: AccessFilter, method: SearchMethod = .hybrid,
                         conversation: Conversation = .empty) async throws -> Answer {
        try await run(question, access: access, method: method, conversation: conversation) { _ in }
    }

    private func run(_ question: String, access: AccessFilter, method: SearchMethod, conversation: Conversation,
                     emit: (AnswerEvent) -> Void) async throws -> Answer {
        guard let embeddings else {
            return try await answer(question, access: access, method: method, conversation: conversation, emit: emit)
        }
        var pinned = self
        pinned.embeddings = nil
        var shown = false  // anything but the rewritten query
        var rewriteShown = false
        for attempt in 1...2 {
            let pin = try embeddings.pin()
            pinned.retriever.embedder = pin.model
            pinned.retriever.indexGeneration = pin.generation
            pinned.verifier.embedder = pin.model
            do {
                return try await pinned.answer(question, access: access, method: method, conversation: conversation) { event in
                    if case .searchedFor = event {
                        if rewriteShown { return }
                        rewriteShown = true
                    } else {
                        shown = true
                    }
                    emit(event)
                }
            } catch let error as StoreError where error.kind == .indexSwitched && attempt == 1 && !shown {
                continue  // the index was switched between embedding and search: once more with the new model
            }
        }
        preconditionFailure("the second attempt returns or throws")
    }

    /// Reads the prompt the answer to `draft` would begin with into the small model's cache,
    /// while the employee is still typing: retrieval, the sources trimmed around the draft, and
    /// the prompt's evaluation. When the question sent next finds the same sources, only its own
    /// words are left to read. Nothing is shown or stored. Returns false when the answer would
    /// not start from the small model's prompt (too little evidence, or a larger-model route).
    /// A follow-up is searched for with the carry-over rewrite (the model's rewrite costs model
    /// time a draft should not take).
    public func prefill(_ draft: String, access: AccessFilter, conversation: Conversation = .empty) async throws -> Bool {
        let retriever = try pinnedRetriever()
        var rewriter = self.rewriter
        if rewriter.strategy == .model { rewriter.strategy = .carryOver }
        let query = await rewriter.rewrite(draft, after: conversation).query
        let retrieval = try await retriever.retrieval(query, method: .hybrid, access: access)
        let sources = retrieval.sources
        let confidence = sources.map(\.similarity).max() ?? 0
        guard confidence >= router.policy.notFoundBelow,
              router.decide(question: query, confidence: confidence).target == .small else { return false }
        let index = try await SentenceIndex.build(
            question: query, questionVector: retrieval.vector, sources: Array(sources.prefix(indexedSources)),
            embedder: retriever.embedder)
        let (messages, used) = try await prompt.messages(
            question: draft, history: rewriter.limits.context(of: conversation), historyTokens: rewriter.limits.promptTokens,
            sources: sources, index: index, model: smallModel)
        await drafts.remember(draft: draft, excerpts: Dictionary(used.map { ($0.chunkId, $0.text) }, uniquingKeysWith: { a, _ in a }))
        try await smallModel.prefill(messages)
        return true
    }

    /// The retriever with the model of the active vector index (see `embeddings`), for a search
    /// on its own.
    public func pinnedRetriever() throws -> Retriever {
        guard let embeddings else { return retriever }
        let pin = try embeddings.pin()
        var retriever = self.retriever
        retriever.embedder = pin.model
        retriever.indexGeneration = pin.generation
        return retriever
    }

    /// `run` with the retriever's and the verifier's model as they are.
    private func answer(_ question: String, access: AccessFilter, method: SearchMethod, conversation: Conversation,
                        emit: (AnswerEvent) -> Void) async throws -> Answer {
        let clock = ContinuousClock()
        let started = clock.now
        // A follow-up is searched for as a standalone query; evidence, routing and the prompt
        // use it too. The question as typed stays the answer's question.
        let rewrite = await rewriter.rewrite(question, after: conversation)
        if rewrite.rewritten { emit(.searchedFor(rewrite)) }
        let query = rewrite.query
        let retrieval = try await retriever.retrieval(query, method: method, access: access)
        let questionVector = retrieval.vector
        let retrievalMs = (clock.now - started).milliseconds
        let sources = retrieval.sources
        let confidence = sources.map(\.similarity).max() ?? 0
        emit(.sources(sources))

        var answer = Answer(
            question: question, text: "", path: .notFound,
            route: RouteDecision(target: .none, model: nil, reason: ""), sources: sources, cited: [],
            verification: nil, rejectedText: nil, evidence: nil, retrievalMilliseconds: retrievalMs,
            timeToFirstTokenMilliseconds: nil, timeToFirstShownMilliseconds: nil, timeToFirstSentenceMilliseconds: nil,
            totalMilliseconds: 0, promptTokens: 0, generatedTokens: 0, confidence: confidence,
            hiddenCandidates: retrieval.hiddenCandidates)
        answer.rewrite = rewrite
        func finished(_ a: Answer) -> Answer {
            var a = a
            a.totalMilliseconds = (clock.now - started).milliseconds
            return a
        }

        guard confidence >= router.policy.notFoundBelow else {
            answer.route = RouteDecision(
                target: .none, model: nil,
                reason: String(format: "retrieval confidence %.2f is below %.2f: not enough evidence to answer",
                               confidence, router.policy.notFoundBelow))
            answer.text = Self.notFoundText
            emit(.route(answer.route))
            emit(.text(answer.text))
            return finished(answer)
        }

        // Evidence first: the sentence that states what was asked, before any model runs.
        let index = try await SentenceIndex.build(
            question: query, questionVector: questionVector, sources: Array(sources.prefix(indexedSources)),
            embedder: retriever.embedder)
        if let evidence = fallback.evidence(index, sources: sources) {
            answer.evidence = evidence
            answer.timeToFirstShownMilliseconds = (clock.now - started).milliseconds
            emit(.evidence(evidence))
        }

        var route = router.decide(question: query, confidence: confidence)
        // A source kept on-prem: none of its passages may reach the larger model, so the
        // question stays with the in-process model (or is quoted).
        let keptOnPrem = sources.filter(\.onPremOnly).map(\.number)
        if route.target == .large, !keptOnPrem.isEmpty {
            route = router.keepingOnPrem(route, sources: keptOnPrem)
            answer.keptOnPrem = keptOnPrem
        }
        emit(.route(route))
        func generate(with model: any ChatModel) async throws -> Outcome {
            // The larger model sees no answer of an earlier turn that showed an on-prem passage.
            var history = rewriter.limits.context(of: conversation)
            if model.identifier == largeModel?.identifier {
                history = history.map { turn in
                    var turn = turn
                    if turn.keptOnPrem { turn.answer = "" }
                    return turn
                }
            }
            return try await self.generate(
                rewrite.method == .model ? query : question, history: history,
                sources: sources, index: index, model: model, answer: &answer, started: started, emit: emit)
        }
        var outcome: Outcome
        if route.target == .large, let largeModel {
            do {
                outcome = try await generate(with: largeModel)
            } catch let error where Self.canAnswerWithout(error, answer: answer) {
                // The larger tier is down or restarting: the small model answers instead of the employee
                // getting an error, and the route says why.
                route = RouteDecision(
                    target: .small, model: smallModel.identifier,
                    reason: route.reason + "; the larger model failed (\(Self.summary(error))), so the small model answered")
                emit(.route(route))
                outcome = try await generate(with: smallModel)
            }
        } else {
            outcome = try await generate(with: smallModel)
            if outcome.shown.isEmpty, !keptOnPrem.isEmpty, router.escalation(after: outcome.verification) != nil {
                route.reason += "; not escalated: " + Router.keptOnPremReason(keptOnPrem)
                answer.keptOnPrem = keptOnPrem
                emit(.route(route))
            } else if outcome.shown.isEmpty, let escalation = router.escalation(after: outcome.verification), let largeModel {
                let first = outcome
                let before = route
                route = escalation
                emit(.route(route))
                do {
                    outcome = try await generate(with: largeModel)
                    outcome.verification.claims = first.verification.claims + outcome.verification.claims
                    outcome.draft = first.draft + "\n---\n" + outcome.draft
                } catch let error where Self.canAnswerWithout(error, answer: answer) {
                    // Keep the small model's outcome; the quoted evidence below still answers.
                    outcome = first
                    route = RouteDecision(
                        target: .small, model: before.model,
                        reason: before.reason + "; escalation failed (\(Self.summary(error)))")
                    emit(.route(route))
                }
            }
        }
        answer.route = route
        answer.verification = outcome.verification
        if !outcome.verification.passed && !outcome.draft.isEmpty { answer.rejectedText = outcome.draft }

        if !outcome.shown.isEmpty {
            answer.text = outcome.shown.map(\.text).joined(separator: " ")
            answer.cited = Array(Set(outcome.shown.flatMap(\.cited))).sorted()
            answer.path = route.target == .large ? .largeModel : .smallModel
            return finished(answer)
        }
        if quotedFallbackEnabled, let quoted = fallback.answer(index, sources: sources) {
            answer.text = quoted.text
            answer.cited = quoted.cited
            answer.path = .quotedFallback
        } else {
            answer.text = Self.notFoundText
            answer.path = .notFound
        }
        if answer.timeToFirstShownMilliseconds == nil { answer.timeToFirstShownMilliseconds = (clock.now - started).milliseconds }
        emit(.text(answer.text))
        return finished(answer)
    }

    /// Whether an answer can go on without the larger model after `error`: not when the reader
    /// cancelled, and not once that model's sentences were shown (the reader would see two answers).
    static func canAnswerWithout(_ error: any Error, answer: Answer) -> Bool {
        !(error is CancellationError) && !Task.isCancelled && answer.timeToFirstSentenceMilliseconds == nil
    }

    /// One line for a route's reason (an error's description can run to a whole response body).
    static func summary(_ error: any Error) -> String {
        let text = "\(error)".split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }

    /// A sentence shown to the reader, with the sources it cites.
    struct ShownSentence {
        var text: String
        var cited: [Int]
    }

    struct Outcome {
        var shown: [ShownSentence]
        var verification: Verification
        var draft: String
    }

    /// Prompts `model`, cuts its reply into sentences as it streams, and emits each one that
    /// verification supports, with the citations that support it.
    private func generate(_ question: String, history: [Conversation.Turn], sources: [Source], index: SentenceIndex,
                          model: any ChatModel,
                          answer: inout Answer, started: ContinuousClock.Instant, emit: (AnswerEvent) -> Void)
        async throws -> Outcome
    {
        let (messages, used) = try await prompt.messages(
            question: question, history: history, historyTokens: rewriter.limits.promptTokens, sources: sources, index: index,
            model: model, excerpts: await drafts.excerpts(for: question))
        answer.promptMessages = messages
        let isLarge = largeModel.map { $0.identifier == model.identifier } ?? false
        if isLarge { answer.largeModelPassages = used }
        var stream = SentenceStream()
        var claims: [Verification.Claim] = []
        var shown: [ShownSentence] = []
        var draft = ""
        func consider(_ sentence: String) async throws {
            let claim = try await verifier.check(sentence, sources: used, index: index, continuing: !shown.isEmpty)
            claims.append(claim)
            if claim.supported {
                let text = claim.sentence + " " + claim.attributed.map { "[\($0)]" }.joined()
                if answer.timeToFirstSentenceMilliseconds == nil {
                    let now = (ContinuousClock.now - started).milliseconds
                    answer.timeToFirstSentenceMilliseconds = now
                    if answer.timeToFirstShownMilliseconds == nil { answer.timeToFirstShownMilliseconds = now }
                }
                emit(.text((shown.isEmpty ? "" : " ") + text))
                shown.append(ShownSentence(text: text, cited: claim.attributed))
            } else if claim.rejection != CitationVerifier.declinedReason {
                emit(.withheld(count: claims.filter { !$0.supported }.count))
            }
        }
        for try await event in model.stream(messages, options: generation) {
            switch event {
            case .text(let piece):
                if answer.timeToFirstTokenMilliseconds == nil {
                    answer.timeToFirstTokenMilliseconds = (ContinuousClock.now - started).milliseconds
                }
                draft += piece
                for sentence in stream.append(piece) { try await consider(sentence) }
            case .finished(let stats):
                answer.redacted.merge(stats.redacted, uniquingKeysWith: +)
                answer.promptMilliseconds += stats.promptMilliseconds
                answer.promptTokens += stats.promptTokens
                answer.generatedTokens += stats.generatedTokens
                if isLarge { answer.largeModelTokens += stats.promptTokens + stats.generatedTokens }
            }
        }
        for sentence in stream.finish() { try await consider(sentence) }
        return Outcome(shown: shown, verification: CitationVerifier.summary(claims),
                       draft: draft.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

extension Source {
    /// The source numbered `number` for a retrieved chunk.
    public init(number: Int, hit: SearchHit) {
        self.init(
            number: number, chunkId: hit.chunkId, documentId: hit.documentId, documentVersion: hit.documentVersion,
            documentSHA256: hit.documentSHA256,
            title: hit.documentTitle ?? (hit.documentPath as NSString).lastPathComponent,
            path: hit.documentPath, format: hit.documentFormat, sectionPath: hit.sectionPath, anchor: hit.anchor,
            pageStart: hit.pageStart, pageEnd: hit.pageEnd, text: hit.text, similarity: hit.similarity ?? 0,
            fusedScore: hit.fusedScore, onPremOnly: hit.onPremOnly)
    }
}
