import Foundation
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
    public var format: String
    public var sectionPath: String
    public var anchor: String?
    public var pageStart: Int?
    public var pageEnd: Int?
    public var text: String
    /// Cosine similarity of the chunk to the question.
    public var similarity: Double
    public var fusedScore: Double

    /// "page 12", "pages 12–13" or the section, for listings.
    public var location: String {
        if let start = pageStart {
            return pageEnd.map { $0 != start ? "pages \(start)–\($0)" : "page \(start)" } ?? "page \(start)"
        }
        return sectionPath
    }
}

/// Which path produced an answer.
public enum AnswerPath: String, Sendable, Codable {
    /// The on-prem small model, its citations verified.
    case smallModel = "small_model"
    /// The larger in-network model, its citations verified.
    case largeModel = "large_model"
    /// Sentences quoted from the sources, because the generated answer failed verification.
    case quotedFallback = "quoted_fallback"
    /// The documents do not answer the question; the closest sources are shown.
    case notFound = "not_found"
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
        public var sentence: String
        public var cited: [Int]
        /// Best support among the cited sources (cosine of sentence embeddings, 0...1).
        public var support: Double
        public var supported: Bool
        /// Cited numbers that are not among the sources.
        public var fabricated: [Int]
    }
    public var claims: [Claim]
    /// True when every claim cites an existing source that supports it.
    public var passed: Bool
    public var reason: String
}

/// A finished answer, with everything the audit log and the user need.
public struct Answer: Sendable, Equatable, Codable {
    public var question: String
    public var text: String
    public var path: AnswerPath
    public var route: RouteDecision
    /// All sources considered, numbered as shown.
    public var sources: [Source]
    /// The numbers the final text cites.
    public var cited: [Int]
    public var verification: Verification?
    /// The generated text, when the final text is the quoted fallback (for the record).
    public var rejectedText: String?
    public var retrievalMilliseconds: Double
    public var timeToFirstTokenMilliseconds: Double?
    public var totalMilliseconds: Double
    public var promptTokens: Int
    public var generatedTokens: Int
    /// Highest similarity of any retrieved chunk to the question.
    public var confidence: Double
}

/// What `Assistant.answer` streams.
public enum AnswerEvent: Sendable, Equatable {
    /// The sources about to be shown to the model (after access control).
    case sources([Source])
    /// The model chosen, before generation.
    case route(RouteDecision)
    /// A piece of generated text.
    case text(String)
    /// The streamed text is withdrawn (it failed verification); a replacement follows.
    case retracted(reason: String)
    /// The final answer. Always the last event.
    case answer(Answer)
}
