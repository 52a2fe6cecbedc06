import Foundation
import RagCore
import RagInference
import Synchronization

/// What a question was searched for, and how that was decided.
public struct QueryRewrite: Sendable, Equatable, Codable {
    public enum Method: String, Sendable, Codable {
        /// The question stood alone (or there was no conversation): searched as typed.
        case none
        /// Key words of the previous turn's search were added to the follow-up.
        case carryOver = "carry_over"
        /// The chat model rewrote the follow-up as a standalone question.
        case model
    }

    /// The text retrieval, evidence and routing used.
    public var query: String
    public var method: Method
    /// Time the rewrite took.
    public var milliseconds: Double
    /// Why the model's rewrite was not used, when it was not (timeout, drift, error).
    public var fallbackReason: String?

    public init(query: String, method: Method, milliseconds: Double = 0, fallbackReason: String? = nil) {
        self.query = query
        self.method = method
        self.milliseconds = milliseconds
        self.fallbackReason = fallbackReason
    }

    /// True when something other than the typed question was searched.
    public var rewritten: Bool { method != .none }
}

/// Turns a follow-up question into a standalone search query, using the conversation so far.
///
/// A follow-up ("And how many columns?", "How do I turn it off?") retrieves little by itself.
/// First `FollowUpDetector` decides whether the question leans on what came before (a pronoun
/// or demonstrative without its noun, an opening "and"/"what about", or almost no words of its
/// own). A question that stands alone is searched as typed, so a change of topic is never
/// mixed with the old one. A follow-up is then rewritten by one of two strategies:
/// - `carryOver` (deterministic, no model): the key words of the previous turn's search that the
///   follow-up lacks are appended to it. Chains carry on, because each turn's search already
///   holds what it carried.
/// - `model`: the chat model rewrites the question with a short prompt, within `timeout`; a
///   rewrite that drifts (words found neither in the conversation nor in the question, most of
///   the question's own words lost, or far too long) is refused, and the carry-over is used
///   instead, as on a timeout or an error.
///
/// `ragd eval` measures both on the follow-up set (eval/follow-ups.jsonl); the product default
/// is the one that measured better (bench/RESULTS.md).
public struct QueryRewriter: Sendable {
    public enum Strategy: String, Sendable, Codable, CaseIterable {
        /// Never rewrite: every question is searched as typed.
        case off
        case carryOver = "carry_over"
        case model
    }

    public var strategy: Strategy
    /// The model of the `model` strategy.
    public var model: (any ChatModel)?
    /// Longest wait for the model's rewrite before the carry-over is used.
    public var timeout: Duration
    public var limits: ConversationLimits
    /// Most words carried over from the previous search.
    public var carriedWords = 8

    public init(strategy: Strategy = .carryOver, model: (any ChatModel)? = nil, timeout: Duration = .milliseconds(1500),
                limits: ConversationLimits = ConversationLimits()) {
        self.strategy = strategy
        self.model = model
        self.timeout = timeout
        self.limits = limits
    }

    /// The query for `question` after `conversation`.
    public func rewrite(_ question: String, after conversation: Conversation) async -> QueryRewrite {
        let context = limits.context(of: conversation)
        guard strategy != .off, let previous = context.last, FollowUpDetector.leansOnContext(question) else {
            return QueryRewrite(query: question, method: .none)
        }
        let carried = carryOver(question, previous: previous)
        guard strategy == .model, let model else { return carried }
        let clock = ContinuousClock()
        let started = clock.now
        var fallback = carried
        do {
            let rewritten = try await withDeadline(timeout) {
                try await Self.modelRewrite(question, context: context, model: model)
            }
            let elapsed = (clock.now - started).milliseconds
            if let reason = Self.drift(rewritten, question: question, context: context) {
                fallback.fallbackReason = "the model's rewrite was refused: \(reason)"
            } else {
                return QueryRewrite(query: rewritten, method: .model, milliseconds: elapsed)
            }
        } catch is DeadlineExceeded {
            fallback.fallbackReason = "the model's rewrite took longer than \(Self.format(timeout))"
        } catch {
            fallback.fallbackReason = "the model's rewrite failed (\(error))"
        }
        fallback.milliseconds = (clock.now - started).milliseconds
        return fallback
    }

    /// A conversation of earlier turns that carry no stored search (a client's own messages):
    /// each turn's search is made again, oldest first, by carry-over (no model call per turn).
    /// Their answers are marked kept on-prem: ragd cannot tell which sources they came from, so
    /// they never go to the larger model (the questions do).
    public func conversation(replaying turns: [(question: String, answer: String)]) -> Conversation {
        var conversation = Conversation()
        for turn in turns {
            var query = turn.question
            if strategy != .off, let previous = limits.context(of: conversation).last, FollowUpDetector.leansOnContext(turn.question) {
                query = carryOver(turn.question, previous: previous).query
            }
            conversation.turns.append(Conversation.Turn(question: turn.question, searchedFor: query, answer: turn.answer,
                                                        keptOnPrem: true))
        }
        return conversation
    }

    /// The follow-up with the previous search's key words that it lacks. (Adding the names the
    /// previous answer introduced was measured and left out: bench/RESULTS.md, "Conversations".)
    func carryOver(_ question: String, previous: Conversation.Turn) -> QueryRewrite {
        let own = Terms.stems(question)
        var seen = Set<String>()
        var words: [String] = []
        for word in Self.words(previous.searchedFor) {
            let stem = Terms.stem(word.lowercased())
            guard !own.contains(stem), !Terms.questionWords.contains(stem), !FollowUpDetector.reference.contains(word.lowercased()),
                  seen.insert(stem).inserted else { continue }
            words.append(word)
        }
        guard !words.isEmpty else { return QueryRewrite(query: question, method: .none) }
        return QueryRewrite(query: question + " (" + words.suffix(carriedWords).joined(separator: " ") + ")", method: .carryOver)
    }

    /// Content words of `text` in their original spelling and order (no stopwords).
    static func words(_ text: String) -> [String] {
        text.split { !$0.isLetter && !$0.isNumber && $0 != "_" && $0 != "-" && $0 != "." }
            .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: ".-")) }
            .filter { word in
                let lower = word.lowercased()
                return (lower.count > 2 || lower.first?.isNumber == true) && !Terms.stopwords.contains(lower)
            }
    }

    static let rewritePrompt = """
        Rewrite the user's last question so that it can be understood without the conversation. \
        Replace words like it, that, they and this with what they refer to. Keep the question's \
        own words. If it already stands on its own, repeat it unchanged. Reply with the question only.
        """

    /// One worked rewrite: a small model follows an example better than rules.
    static let rewriteExample: [ChatMessage] = [
        .user("Conversation:\nUser: Which port does the print server listen on?\nAssistant: It listens on port 631.\n\n"
              + "Last question: How do I change it?"),
        .assistant("How do I change the port the print server listens on?"),
    ]

    static func modelRewrite(_ question: String, context: [Conversation.Turn], model: any ChatModel) async throws -> String {
        var lines: [String] = []
        for turn in context {
            lines.append("User: " + PromptBuilder.neutralized(turn.question))
            if !turn.answer.isEmpty { lines.append("Assistant: " + PromptBuilder.neutralized(CitationVerifier.stripCitations(turn.answer))) }
        }
        let user = "Conversation:\n" + lines.joined(separator: "\n") + "\n\nLast question: " + PromptBuilder.neutralized(question)
        let options = GenerationOptions(maxTokens: 48, temperature: 0, repeatPenalty: 1.0, stop: ["\n"])
        var text = ""
        for try await event in model.stream([.system(rewritePrompt)] + rewriteExample + [.user(user)], options: options) {
            if case .text(let piece) = event { text += piece }
        }
        var line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        for prefix in ["Rewritten question:", "Question:", "Last question:"] where line.hasPrefix(prefix) {
            line = String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
        return line.trimmingCharacters(in: CharacterSet(charactersIn: "\"'`"))
    }

    /// Why a model rewrite is refused, or nil when it may be used.
    static func drift(_ rewritten: String, question: String, context: [Conversation.Turn]) -> String? {
        guard !rewritten.isEmpty else { return "it was empty" }
        guard rewritten.count <= 2 * question.count + 160 else { return "it was far longer than the question" }
        let known = Terms.stems(question + " " + context.map { $0.question + " " + $0.searchedFor + " " + $0.answer }.joined(separator: " "))
        let new = Terms.stems(rewritten).subtracting(known).subtracting(Terms.questionWords)
        if new.count > 1 { return "it added words found nowhere in the conversation (\(new.sorted().prefix(3).joined(separator: ", ")))" }
        if Terms.stems(rewritten).subtracting(Terms.stems(question)).isEmpty { return "it added nothing from the conversation" }
        let own = Terms.keyTerms(question)
        if own.count >= 2, Double(own.intersection(Terms.stems(rewritten)).count) < Double(own.count) / 2 {
            return "it lost most of the question's own words"
        }
        return nil
    }

    static func format(_ d: Duration) -> String { String(format: "%.1f s", d.seconds) }
}

/// Decides whether a question leans on the conversation before it.
public enum FollowUpDetector {
    /// True for "How do I turn it off?", "And for columns?", "What about WAL mode?",
    /// "Which version added that?"; false for a question that names what it is about.
    public static func leansOnContext(_ question: String) -> Bool {
        let words = question.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "_" && $0 != "'" }.map(String.init)
        guard !words.isEmpty else { return false }
        let opening = words.prefix(2).joined(separator: " ")
        if ["and", "also", "but", "so", "or", "then"].contains(words[0]) || openings.contains(opening) { return true }
        for (i, word) in words.enumerated() {
            // A pronoun after a question's own long description points back into the question
            // ("how big can a single SQLite database file get before it hits …").
            if (reference.contains(word) || word == "that" || word == "this"),
               Terms.keyTerms(words[..<i].joined(separator: " ")).subtracting(linkWords).count >= antecedentTerms {
                continue
            }
            if reference.contains(word) {
                // A dummy "it" ("is it possible to …", "how long does it take") points nowhere.
                if word == "it", i + 1 < words.count, dummyItFollowers.contains(words[i + 1]) { continue }
                return true
            }
            // "this"/"that" as a demonstrative ("is that the default?", "added that feature",
            // "about this"), not as a relative pronoun ("columns that a table can have").
            if word == "that" || word == "this" {
                guard i > 0, i + 1 < words.count else { return true }
                let before = words[i - 1]
                if demonstrativeAfter.contains(before) || (before.hasSuffix("ed") && before.count > 4) { return true }
            }
        }
        return Terms.keyTerms(question).count <= 1
    }

    /// Key words before a pronoun from which on it is taken to refer to them, not to an
    /// earlier turn (measured on the dev set and the follow-up set: bench/RESULTS.md).
    static let antecedentTerms = 5
    /// Words that join a question's parts and name nothing ("before running it").
    static let linkWords: Set<String> = [
        "before", "after", "while", "during", "until", "again", "still", "even", "ever", "once", "always", "never", "too",
    ]

    /// Words that point back at something named earlier.
    static let reference: Set<String> = [
        "it", "its", "it's", "they", "them", "their", "theirs", "these", "those", "he", "she", "him", "her", "his",
        "such", "former", "latter", "mentioned",
    ]
    static let openings: Set<String> = ["what about", "how about", "what if", "why not", "how so", "and if", "in that"]
    /// Words after a dummy "it".
    static let dummyItFollowers: Set<String> = [
        "possible", "safe", "true", "ok", "okay", "necessary", "better", "worth", "recommended", "allowed", "required",
        "take", "takes", "normal", "wise", "advisable", "legal",
    ]
    /// Words after which "that"/"this" is the thing itself, not a relative pronoun.
    static let demonstrativeAfter: Set<String> = [
        "is", "was", "are", "does", "do", "did", "can", "will", "change", "set", "use", "disable", "enable", "turn",
        "about", "for", "of", "with", "to", "in", "on", "by", "from", "like", "without", "make", "get",
    ]
}

struct DeadlineExceeded: Error {}

/// Runs `body`, or throws `DeadlineExceeded` after `limit` and cancels `body`.
///
/// Returns at the deadline without waiting for `body` to notice its cancellation: a model busy
/// with another answer may take seconds to get to this request, and a task group would wait for
/// it (seen: a 1 ms limit returned after 61 s while the chat model served other questions). The
/// cancelled body finishes in the background. Cancelling the caller cancels `body` and throws
/// `CancellationError` at once.
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = DeadlineOutcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.start(continuation)
            let work = Task {
                do { outcome.resume(.success(try await body())) } catch { outcome.resume(.failure(error)) }
            }
            outcome.onDone { work.cancel() }
            Task {
                try? await Task.sleep(for: limit)
                outcome.resume(.failure(DeadlineExceeded()))
            }
        }
    } onCancel: {
        outcome.resume(.failure(CancellationError()))
    }
}

/// The first of the body's result, the deadline and the caller's cancellation, delivered once.
private final class DeadlineOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var done = false
        var onDone: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let early: Result<T, any Error>? = state.withLock { state in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// `action` runs once the outcome is known (at once if it is).
    func onDone(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state in
            if state.done { return true }
            state.onDone = action
            return false
        }
        if now { action() }
    }

    func resume(_ result: Result<T, any Error>) {
        let (continuation, action): (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) = state.withLock { state in
            guard !state.done else { return (nil, nil) }
            state.done = true
            defer { state.continuation = nil; state.onDone = nil }
            if state.continuation == nil { state.early = result }
            return (state.continuation, state.onDone)
        }
        continuation?.resume(with: result)
        action?()
    }
}
