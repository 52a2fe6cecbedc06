import Foundation
import RagCore
import RagInference
import RagStore

/// One numbered source shown to the model and to the user.
public struct Source: Sendable, Equatable, Codable {
    /// The number the answer cites as [n].
    public var number: Int
    public var chunkId: Int64
    public var documentId: Int64
    public var documentVersion: Int
    public var documentSHA256: String?
    public var title: String
    public var path: String
    public var format: DocumentFormat
    public var sectionPath: String
    public var anchor: String?
    public var pageStart: Int?
    public var pageEnd: Int?
    public var text: String
    /// Cosine similarity of the chunk to the question.
    public var similarity: Double
    public var fusedScore: Double
    /// Its source keeps it from the larger model (`ragd source on-prem`).
    public var onPremOnly: Bool = false

    /// "page 12", "pages 12–13" or the section, for listings.
    public var location: String {
        if let start = pageStart {
            return pageEnd.map { $0 != start ? "pages \(start)–\($0)" : "page \(start)" } ?? "page \(start)"
        }
        return sectionPath
    }
}

/// Which model was asked, and why.
public struct RouteDecision: Sendable, Equatable, Codable {
    public enum Target: String, Sendable, Codable { case small, large, none }
    public var target: Target
    /// The model's identifier (its file name, or the remote model name).
    public var model: String?
    public var reason: String
}

/// The outcome of checking an answer's citations against its sources.
public struct Verification: Sendable, Equatable, Codable {
    public struct Claim: Sendable, Equatable, Codable {
        /// The sentence as the model wrote it, citations removed.
        public var sentence: String
        /// The numbers the model cited (before attribution).
        public var cited: [Int]
        /// Best support among the sources considered (0...1).
        public var support: Double
        public var supported: Bool
        /// Cited numbers that are not among the sources.
        public var fabricated: [Int]
        /// The sources shown with the sentence: the cited ones that support it or, when none
        /// does (or none was cited), the one the verifier found (post-hoc attribution).
        public var attributed: [Int] = []
        /// Why the sentence was withheld; nil when it was shown.
        public var rejection: String? = nil
    }
    public var claims: [Claim]
    /// True when at least one sentence was shown and every claim is supported.
    public var passed: Bool
    public var reason: String

    /// Sentences shown.
    public var shownCount: Int { claims.filter(\.supported).count }
    /// Sentences withheld.
    public var withheldCount: Int { claims.filter { !$0.supported }.count }
}

/// The passage shown before the model writes: the source sentence that best states what was asked.
public struct Evidence: Sendable, Equatable, Codable {
    /// The source it is quoted from.
    public var number: Int
    /// The sentence, verbatim from the source.
    public var sentence: String
    /// How well it matches the question (similarity plus key-word coverage).
    public var score: Double
    /// Share of the question's key words the sentence holds (0...1).
    public var coverage: Double
}

/// A finished answer, with everything the audit log and the user need.
public struct Answer: Sendable, Equatable, Codable {
    public var question: String
    /// The text shown: verified sentences with their citations, a quote, or the not-found text.
    public var text: String
    public var path: AnswerPath
    public var route: RouteDecision
    /// All sources considered, numbered as shown.
    public var sources: [Source]
    /// The numbers the final text cites.
    public var cited: [Int]
    public var verification: Verification?
    /// The model's own text, as generated, when any of it was not shown (for the record).
    public var rejectedText: String?
    /// The best supporting passage, shown before the model writes.
    public var evidence: Evidence?
    public var retrievalMilliseconds: Double
    /// Time to the model's first token (nil when no model ran).
    public var timeToFirstTokenMilliseconds: Double?
    /// Time to the first text shown: the evidence passage, or the first verified sentence.
    public var timeToFirstShownMilliseconds: Double?
    /// Time to the first verified model-written sentence shown.
    public var timeToFirstSentenceMilliseconds: Double?
    public var totalMilliseconds: Double
    public var promptTokens: Int
    /// Time the models spent reading their prompts (the uncached part).
    public var promptMilliseconds: Double = 0
    public var generatedTokens: Int
    /// The messages of the last model prompt (for `ragd eval --details` and benchmarks).
    public var promptMessages: [ChatMessage] = []
    /// Highest similarity of any retrieved chunk to the question.
    public var confidence: Double
    /// How many candidates of the retrieval the access filter hid from the asker (a count for
    /// the audit log, never which).
    public var hiddenCandidates: Int = 0
    /// What was searched for: the question itself, or its standalone rewrite in a conversation.
    public var rewrite = QueryRewrite(query: "", method: .none)
    /// Personal data replaced by placeholders in what was sent to a model outside the process,
    /// counted by kind (the values never leave the process and are not recorded).
    public var redacted: [String: Int] = [:]
    /// Sources kept from the larger model by their source's escalation policy (numbers as shown).
    public var keptOnPrem: [Int] = []
    /// Tokens the larger tier read and wrote for this answer (prompt plus generated; 0 when it
    /// was not asked). `promptTokens` and `generatedTokens` count both tiers together.
    public var largeModelTokens = 0
    /// The passages the larger model was given, trimmed as it read them (numbers as shown);
    /// empty when it was not asked. Kept with the answer for `ragd export-training`.
    public var largeModelPassages: [Source] = []

    /// Sentences the model wrote that were withheld, with the reason for each.
    public var withheld: [Verification.Claim] { verification?.claims.filter { !$0.supported } ?? [] }
}

/// What `Assistant.answer` streams. Only verified text is ever streamed: nothing is shown and
/// then taken back.
public enum AnswerEvent: Sendable, Equatable {
    /// A follow-up was searched for as this standalone query (before the sources).
    case searchedFor(QueryRewrite)
    /// The sources about to be shown to the model (after access control).
    case sources([Source])
    /// The best supporting passage, marked as a quote, before the model writes.
    case evidence(Evidence)
    /// The model chosen, before generation (again if it changes).
    case route(RouteDecision)
    /// Verified text to append: a model-written sentence with its citations, a quote, or the
    /// not-found text.
    case text(String)
    /// A generated sentence was withheld (unsupported); the count so far.
    case withheld(count: Int)
    /// The final answer. Always the last event.
    case answer(Answer)
}
