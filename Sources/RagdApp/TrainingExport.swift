import Foundation
import RagAssistant
import RagAudit
import RagPrivacy
import RagStore

/// `ragd export-training`: the larger tier's verified answers as a fine-tuning set for the small
/// model (distillation), one chat-format JSON object a line:
///
/// ```json
/// {"messages":[{"role":"system","content":"You are a company assistant. …"},
///              {"role":"user","content":"Sources:\n\n[1] Heading\nPassage …\n\nQuestion: …"},
///              {"role":"assistant","content":"The answer as shown, with its citations [1]."}]}
/// ```
///
/// The system prompt is the one the models answer with (`PromptBuilder.systemPrompt`), the user
/// turn the passages the larger model was given (as trimmed for its prompt) and the question,
/// the assistant turn the answer as readers saw it: only sentences that passed the citation
/// check. Every line is redacted (`PersonalDataRedactor`: e-mail, phone, IBAN, card, SSN, IP,
/// account display names and `redaction.names`, an admin's patterns), one placeholder per value
/// across the three messages, whatever `redaction.enabled` says: a training file travels.
///
/// Only answers whose every passage comes from one of the chosen sources are written (an answer
/// that used a document since deleted, or of another source, is skipped), so a restricted
/// source stays out unless it is chosen. The run is recorded in the audit log
/// (`training.export`: the file, the sources, how many examples and what was redacted).
public struct TrainingExport {
    /// What a run wrote.
    public struct Summary: Sendable, Equatable {
        public var examples: Int
        /// Larger-model answers left out because a passage is not from a chosen source (or gone).
        public var skipped: Int
        /// Personal data replaced, by kind, over the whole file.
        public var redacted: [String: Int]
    }

    public let store: RagStore
    public let redactors: RedactorSource

    public init(store: RagStore, redactors: RedactorSource) {
        self.store = store
        self.redactors = redactors
    }

    /// Writes the examples to `path` (created readable by its owner only, replaced if it
    /// exists) and records the run in `audit`.
    /// - Parameter sources: the source ids whose passages may go in (nil: every source).
    /// - Throws: when the file cannot be written, the names for redaction cannot be read, or
    ///   the audit record cannot be appended (the file is removed then: an export nobody can
    ///   account for is not left behind).
    public func write(to path: String, sources: Set<Int64>?, audit: AuditLog, actor: AuditActor, channel: String = "cli")
        async throws -> Summary
    {
        let redactor = try await redactors.redactor()
        let answers = try store.history.largeModelAnswers()
        let sourceOf = try store.history.sourceIds(ofDocuments: answers.flatMap { $0.passageList ?? [] }.map(\.documentId))
        var summary = Summary(examples: 0, skipped: 0, redacted: [:])
        var out = Data()
        for record in answers {
            guard let passages = record.passageList, !passages.isEmpty,
                  passages.allSatisfy({ p in sourceOf[p.documentId].map { sources?.contains($0) ?? true } ?? false })
            else {
                summary.skipped += 1
                continue
            }
            var redaction = Redaction()
            out.append(try Self.line(question: record.question, passages: passages, answer: record.answer,
                                     redact: { redactor.redact($0, into: &redaction) }))
            out.append(0x0A)
            summary.examples += 1
            summary.redacted.merge(redaction.countsByName, uniquingKeysWith: +)
        }
        guard FileManager.default.createFile(atPath: path, contents: out, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError("Cannot write \(path): check that its folder exists and is writable.")
        }
        var details = [
            "file": path, "examples": String(summary.examples), "skipped": String(summary.skipped),
            "sources": sources.map { $0.sorted().map(String.init).joined(separator: ",") } ?? "all",
        ]
        if !summary.redacted.isEmpty {
            details["redacted"] = summary.redacted.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        }
        do {
            _ = try await audit.append(AuditEvent(kind: .admin, actor: actor, channel: channel, action: "training.export",
                                                  details: details))
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return summary
    }

    /// One example as a JSON line (without its newline), every message passed through `redact`.
    static func line(question: String, passages: [HistoryPassage], answer: String, redact: (String) -> String) throws -> Data {
        let blocks = passages.map { "[\($0.number)] \(PromptBuilder.neutralized($0.heading))\n\(PromptBuilder.neutralized($0.text))" }
        let user = "Sources:\n\n" + blocks.joined(separator: "\n\n") + "\n\nQuestion: \(PromptBuilder.neutralized(question))"
        struct Message: Encodable { let role: String; let content: String }
        struct Example: Encodable { let messages: [Message] }
        let example = Example(messages: [
            Message(role: "system", content: redact(PromptBuilder.systemPrompt)),
            Message(role: "user", content: redact(user)),
            Message(role: "assistant", content: redact(answer)),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(example)
    }
}

extension AppContext {
    /// The export over this context's database, redacting as the configuration says (its
    /// kinds, names and patterns; always on).
    public func trainingExport() throws -> TrainingExport {
        let r = configuration.redaction
        return TrainingExport(store: store, redactors: RedactorSource(
            store: store, kinds: r.kinds, patterns: try r.customPatterns(), names: r.names))
    }
}
