import Foundation
import RagInference
import RagPrivacy
import RagStore

/// A chat model outside the process (the larger tier), reached only through redaction: every
/// message is redacted before it is sent (`PersonalDataRedactor`, one `Redaction` per request so
/// a value has one placeholder across the system prompt, the passages, the history and the
/// question), and the placeholders in the reply are put back as it streams, before anything
/// downstream (verification, the reader) sees it. The `.finished` event carries the counts by
/// kind in `GenerationStats.redacted`, for the audit record.
///
/// If the redactor cannot be had (the names could not be read), the request is not sent: the
/// stream fails, and the assistant answers on-prem as when the larger model is down.
public struct RedactingChatModel: ChatModel {
    public let base: any ChatModel
    public let redactors: RedactorSource

    public init(_ base: any ChatModel, redactors: RedactorSource) {
        self.base = base
        self.redactors = redactors
    }

    public var identifier: String { base.identifier }
    public var contextLength: Int { base.contextLength }

    public func tokenCount(_ text: String) async throws -> Int { try await base.tokenCount(text) }

    public func stream(_ messages: [ChatMessage], options: GenerationOptions) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let base = self.base
        let redactors = self.redactors
        let task = Task {
            do {
                let redactor = try await redactors.redactor()
                var redaction = Redaction()
                let sent = messages.map { ChatMessage($0.role, redactor.redact($0.content, into: &redaction)) }
                var restorer = PlaceholderRestorer(redaction: redaction)
                for try await event in base.stream(sent, options: options) {
                    switch event {
                    case .text(let piece):
                        let text = restorer.append(piece)
                        if !text.isEmpty { continuation.yield(.text(text)) }
                    case .finished(var stats):
                        let rest = restorer.finish()
                        if !rest.isEmpty { continuation.yield(.text(rest)) }
                        stats.redacted = redaction.countsByName
                        continuation.yield(.finished(stats))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// The redactor for the next request: the configured kinds and patterns, and the display names
/// of the accounts in the store as they are now (an account added a minute ago is redacted from
/// the next request on). The compiled name pattern is kept until the names change.
public actor RedactorSource {
    private let store: RagStore?
    private let kinds: Set<PersonalDataKind>
    private let patterns: [CustomPattern]
    private let extraNames: [String]
    private var cached: (names: [String], redactor: PersonalDataRedactor)?

    /// - Parameters:
    ///   - store: where account display names are read (nil: only `names`).
    ///   - names: names to redact besides the accounts' (tests, or a list an admin keeps).
    public init(store: RagStore?, kinds: Set<PersonalDataKind> = Set(PersonalDataKind.builtIn),
                patterns: [CustomPattern] = [], names: [String] = []) {
        self.store = store
        self.kinds = kinds
        self.patterns = patterns
        self.extraNames = names
    }

    /// - Throws: when the account names cannot be read (nothing is sent then).
    public func redactor() throws -> PersonalDataRedactor {
        var names = extraNames
        if kinds.contains(.person), let store { names += try store.accounts.displayNames() }
        if let cached, cached.names == names { return cached.redactor }
        let redactor = PersonalDataRedactor(names: names, customPatterns: patterns, kinds: kinds)
        cached = (names, redactor)
        return redactor
    }
}
