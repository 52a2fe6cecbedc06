import Foundation
import RagCore
import RagInference
import RagStore

/// The query service: retrieve, prompt, generate, verify, route; every answer names its path.
///
/// 1. Hybrid retrieval with the user's access filter inside the SQL, near-duplicates dropped.
/// 2. Too little evidence (best similarity under `RoutingPolicy.notFoundBelow`): the answer
///    says the documents do not answer, and lists the closest sources.
/// 3. The router picks the small or the larger model; the answer streams with [n] citations.
/// 4. Each cited sentence is checked against its sources. A failed small answer goes to the
///    larger model if one is configured; otherwise (or if that fails too) the best supporting
///    sentences are quoted with citations instead.
public struct Assistant: Sendable {
    public let retriever: Retriever
    public let smallModel: any ChatModel
    public let largeModel: (any ChatModel)?
    public var router: Router
    public var prompt = PromptBuilder()
    public var verifier: CitationVerifier
    public var fallback: QuotedFallback
    public var generation = GenerationOptions(maxTokens: 160, temperature: 0, repeatPenalty: 1.15)
    /// When false, a failed generated answer is shown as it is (flagged) instead of quoted
    /// sentences; used by `ragd eval` to measure what the fallback adds.
    public var quotedFallbackEnabled = true

    public init(retriever: Retriever, smallModel: any ChatModel, largeModel: (any ChatModel)? = nil,
                policy: RoutingPolicy = RoutingPolicy()) {
        self.retriever = retriever
        self.smallModel = smallModel
        self.largeModel = largeModel
        self.router = Router(policy: policy, smallModel: smallModel.identifier, largeModel: largeModel?.identifier)
        self.verifier = CitationVerifier(embedder: retriever.embedder)
        self.fallback = QuotedFallback(embedder: retriever.embedder)
    }

    public static let notFoundText = "The documents do not answer this question. The closest sources are listed below."

    /// Streams the answer to `question` for a reader with `access`.
    public func answer(_ question: String, access: AccessFilter, method: SearchMethod = .hybrid)
        -> AsyncThrowingStream<AnswerEvent, any Error>
    {
        let (stream, continuation) = AsyncThrowingStream<AnswerEvent, any Error>.makeStream()
        let task = Task {
            do {
                let answer = try await run(question, access: access, method: method) { continuation.yield($0) }
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
    public func complete(_ question: String, access: AccessFilter, method: SearchMethod = .hybrid) async throws -> Answer {
        try await run(question, access: access, method: method) { _ in }
    }

    private func run(_ question: String, access: AccessFilter, method: SearchMethod,
                     emit: (AnswerEvent) -> Void) async throws -> Answer {
        let clock = ContinuousClock()
        let started = clock.now
        let (questionVector, hits) = try await retriever.retrieve(question, method: method, access: access)
        let retrievalMs = (clock.now - started).milliseconds
        let sources = hits.enumerated().map { Source(number: $0.offset + 1, hit: $0.element) }
        let confidence = sources.map(\.similarity).max() ?? 0
        emit(.sources(sources))

        var answer = Answer(
            question: question, text: "", path: .notFound,
            route: RouteDecision(target: .none, model: nil, reason: ""), sources: sources, cited: [],
            verification: nil, rejectedText: nil, retrievalMilliseconds: retrievalMs,
            timeToFirstTokenMilliseconds: nil, totalMilliseconds: 0, promptTokens: 0, generatedTokens: 0,
            confidence: confidence)
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

        var route = router.decide(question: question, confidence: confidence)
        emit(.route(route))
        var model: any ChatModel = route.target == .large ? (largeModel ?? smallModel) : smallModel
        var (text, verification) = try await generate(
            question, sources: sources, model: model, answer: &answer, started: started, emit: emit)

        if !verification.passed, route.target == .small, let escalation = router.escalation(after: verification),
           let largeModel {
            emit(.retracted(reason: verification.reason))
            route = escalation
            emit(.route(route))
            model = largeModel
            answer.rejectedText = text
            (text, verification) = try await generate(
                question, sources: sources, model: model, answer: &answer, started: started, emit: emit)
        }
        answer.route = route
        answer.verification = verification

        if verification.passed {
            answer.text = text
            answer.path = route.target == .large ? .largeModel : .smallModel
            answer.cited = Array(Set(verification.claims.flatMap(\.cited))).sorted()
            return finished(answer)
        }
        guard quotedFallbackEnabled else {
            answer.text = text
            answer.path = route.target == .large ? .largeModel : .smallModel
            answer.cited = Array(Set(verification.claims.flatMap(\.cited))).sorted()
            return finished(answer)
        }
        emit(.retracted(reason: verification.reason))
        answer.rejectedText = text
        if let quoted = try await fallback.answer(question, questionVector: questionVector, sources: sources) {
            answer.text = quoted.text
            answer.cited = quoted.cited
            answer.path = .quotedFallback
        } else {
            answer.text = Self.notFoundText
            answer.path = .notFound
        }
        emit(.text(answer.text))
        return finished(answer)
    }

    /// Prompts `model` with the sources that fit, streams its text, and verifies it.
    private func generate(_ question: String, sources: [Source], model: any ChatModel, answer: inout Answer,
                          started: ContinuousClock.Instant, emit: (AnswerEvent) -> Void) async throws
        -> (String, Verification)
    {
        let (messages, used) = try await prompt.messages(question: question, sources: sources, model: model)
        var text = ""
        for try await event in model.stream(messages, options: generation) {
            switch event {
            case .text(let piece):
                if answer.timeToFirstTokenMilliseconds == nil {
                    answer.timeToFirstTokenMilliseconds = (ContinuousClock.now - started).milliseconds
                }
                text += piece
                emit(.text(piece))
            case .finished(let stats):
                answer.promptTokens += stats.promptTokens
                answer.generatedTokens += stats.generatedTokens
            }
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return (text, try await verifier.verify(text, sources: used))
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
            fusedScore: hit.fusedScore)
    }
}
