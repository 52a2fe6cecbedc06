import Foundation
import RagAssistant
import RagAudit
import RagInference
import RagStore

/// Writes every answered question and every admin action to the tamper-evident audit log.
///
/// A question's record holds who asked (id, name, role, groups), from where and through which
/// channel, the question, the answer, each source shown (document, version, content hash,
/// location, chunk, score), the route with the model's file hash, the verification outcome,
/// latencies, token counts, and how many candidates access control hid — a count, never which.
public struct AuditLogRecorder: Sendable {
    public let log: AuditLog
    /// SHA-256 of each in-process model file, by model identifier.
    let modelHashes: [String: String]

    public init(log: AuditLog, modelHashes: [String: String]) {
        self.log = log
        self.modelHashes = modelHashes
    }

    /// Records an answered question. The count of hidden candidates comes from the answer's own
    /// retrieval (the same search, not a second one).
    public func recordQuestion(_ answer: Answer, identity: Identity, clientAddress: String?, channel: AskChannel,
                               conversationId: String? = nil, turn: Int? = nil) async throws {
        let hidden = answer.hiddenCandidates
        let sources = answer.sources.map { s in
            AuditSource(documentId: s.documentId, documentVersion: s.documentVersion, contentSHA256: s.documentSHA256,
                        title: s.title, location: s.location, chunkIds: [s.chunkId], score: (s.similarity * 1000).rounded() / 1000)
        }
        let verification = answer.verification.map { ($0.passed ? "passed" : "failed") + ": " + $0.reason }
        var question = AuditQuestion(
            question: answer.question, answer: answer.text, sources: sources, route: answer.path.rawValue,
            model: answer.route.model, modelSHA256: answer.route.model.flatMap { modelHashes[$0] },
            routeReason: answer.route.reason, verification: verification, retrievalMs: answer.retrievalMilliseconds.rounded(),
            firstTokenMs: answer.timeToFirstTokenMilliseconds?.rounded(), totalMs: answer.totalMilliseconds.rounded(),
            promptTokens: answer.promptTokens, generatedTokens: answer.generatedTokens, filteredOut: hidden)
        let withheld = answer.withheld.map { AuditWithheldSentence(sentence: $0.sentence, reason: $0.rejection ?? "unsupported") }
        question.withheld = withheld.isEmpty ? nil : withheld
        question.evidence = answer.evidence.map { "[\($0.number)] \($0.sentence)" }
        question.conversationId = conversationId
        question.turn = turn
        if answer.rewrite.rewritten {
            question.searchedFor = answer.rewrite.query
            question.rewriteMethod = answer.rewrite.method.rawValue
        }
        question.redacted = answer.redacted.isEmpty ? nil : answer.redacted
        question.keptOnPrem = answer.keptOnPrem.isEmpty ? nil : answer.keptOnPrem
        _ = try await log.append(.question(question, actor: Self.actor(identity), channel: channel.rawValue,
                                           clientAddress: clientAddress))
    }

    public func recordAction(_ action: String, details: [String: String], identity: Identity, clientAddress: String?) async throws {
        let kind: AuditKind = action.hasPrefix("audit.") ? .audit : .admin
        _ = try await log.append(AuditEvent(kind: kind, actor: Self.actor(identity), clientAddress: clientAddress,
                                            channel: "web", action: action, details: details))
    }

    static func actor(_ identity: Identity) -> AuditActor {
        AuditActor(userId: identity.userId, name: identity.name, role: identity.role.rawValue, groups: identity.groups)
    }
}
