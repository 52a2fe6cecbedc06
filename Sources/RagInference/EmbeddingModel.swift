import RagCore

/// Turns texts into unit-length vectors whose dot product measures how related they are.
///
/// Implemented in-process by `LlamaEmbeddingModel` and remotely by `OpenAICompatibleBackend`.
public protocol EmbeddingModel: Sendable {
    /// The length of every vector this model returns.
    var dimensions: Int { get }
    /// The most tokens (special tokens included) the model reads of one text; the rest is cut.
    var maxTokens: Int { get }
    /// A stable name for the model, recorded with stored vectors and in the audit log.
    var identifier: String { get }

    /// Embeds every text, in order, for `purpose` (a model trained with task prefixes gets the
    /// one for it). Texts longer than `maxTokens` are truncated and counted.
    /// - Throws: `InferenceError` when the model fails; no partial result is returned.
    func embed(_ texts: [String], as purpose: EmbeddingPurpose) async throws -> EmbeddingBatch

    /// How many tokens the model would read for `text`, special tokens included, before
    /// truncation.
    func tokenCount(_ text: String) async throws -> Int

    /// A synchronous, thread-safe token counter for the chunker (exact for in-process models,
    /// an estimate for remote ones).
    var tokenCounter: any TokenCounter { get }
}

/// The result of `EmbeddingModel.embed`.
public struct EmbeddingBatch: Sendable {
    /// One L2-normalised vector per input text, in input order.
    public var vectors: [[Float]]
    /// Tokens embedded per text, after truncation (0 where the backend does not report them).
    public var tokenCounts: [Int]
    /// How many texts were longer than the model's limit and were truncated.
    public var truncatedCount: Int

    public init(vectors: [[Float]], tokenCounts: [Int], truncatedCount: Int) {
        self.vectors = vectors
        self.tokenCounts = tokenCounts
        self.truncatedCount = truncatedCount
    }
}

extension EmbeddingModel {
    /// Embeds passages (what is stored and what answers are compared with).
    public func embed(_ texts: [String]) async throws -> EmbeddingBatch {
        try await embed(texts, as: .document)
    }

    /// Embeds one text.
    public func embed(_ text: String, as purpose: EmbeddingPurpose = .document) async throws -> [Float] {
        try await embed([text], as: purpose).vectors[0]
    }
}

/// What a text is embedded for. A question is embedded as a `.query` and searched against
/// `.document` vectors; texts compared with each other (an answer's sentence with a source's)
/// are all `.document`s.
public enum EmbeddingPurpose: Sendable {
    case query, document
}

/// The task prefixes a model was trained with: nomic-embed-text reads "search_query: " before a
/// question and "search_document: " before a passage and retrieves worse without them; models
/// such as MiniLM have none.
public struct EmbeddingPrefixes: Sendable, Equatable {
    public var query: String
    public var document: String

    public init(query: String, document: String) {
        self.query = query
        self.document = document
    }

    public static let none = EmbeddingPrefixes(query: "", document: "")
    /// nomic-embed-text v1 and v1.5 (its model card's retrieval prefixes).
    public static let nomic = EmbeddingPrefixes(query: "search_query: ", document: "search_document: ")

    /// The prefixes a model needs, by its GGUF architecture (`general.architecture`).
    public static func forArchitecture(_ architecture: String) -> EmbeddingPrefixes {
        architecture == "nomic-bert" ? .nomic : .none
    }

    /// `text` as the model should read it for `purpose`.
    public func apply(_ text: String, for purpose: EmbeddingPurpose) -> String {
        let prefix = purpose == .query ? query : document
        return prefix.isEmpty ? text : prefix + text
    }
}

/// Scales `vector` to unit length (a zero vector stays zero).
@inlinable
public func l2Normalized(_ vector: [Float]) -> [Float] {
    var sum: Float = 0
    for x in vector { sum += x * x }
    guard sum > 0 else { return vector }
    let scale = 1 / sum.squareRoot()
    return vector.map { $0 * scale }
}

/// The cosine similarity of two vectors of equal length.
@inlinable
public func cosineSimilarity(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "vectors of different lengths")
    var dot: Float = 0, na: Float = 0, nb: Float = 0
    for i in a.indices {
        dot += a[i] * b[i]
        na += a[i] * a[i]
        nb += b[i] * b[i]
    }
    guard na > 0, nb > 0 else { return 0 }
    return dot / (na.squareRoot() * nb.squareRoot())
}
