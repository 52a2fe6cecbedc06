import Foundation
import RagInference
import RagStore

/// Finds the sources for a question: hybrid search, access control in SQL, near-duplicates dropped.
public struct Retriever: Sendable {
    public let store: RagStore
    public var embedder: any EmbeddingModel
    /// The vector index `embedder` makes vectors for (`ActiveVectorIndex.generation`): a search
    /// after a switch to another index throws `StoreError(.indexSwitched)`. nil: not checked.
    public var indexGeneration: Int64?
    /// Candidates fetched from each ranking before fusion.
    public var candidates = 50
    /// Hits kept after fusion and de-duplication.
    public var limit = 8
    /// Word-trigram Jaccard similarity above which a hit counts as a copy of a better one.
    public var duplicateThreshold = 0.8
    /// Re-scores the fused candidates (nil: fused order).
    public var ranker: PassageRanker? = .standard
    /// How much each ranking counts in the fusion.
    public var fusion = FusionWeights.standard

    public init(store: RagStore, embedder: any EmbeddingModel) {
        self.store = store
        self.embedder = embedder
    }

    /// What a retrieval found for a question.
    public struct Retrieval: Sendable {
        /// The question's embedding.
        public var vector: [Float]
        /// The hits, best first.
        public var hits: [SearchHit]
        /// How many candidates the access filter hid (`SearchResults.hiddenCandidates`).
        public var hiddenCandidates: Int

        /// The hits as numbered sources, [1] first.
        public var sources: [Source] { hits.enumerated().map { Source(number: $0.offset + 1, hit: $0.element) } }
    }

    /// The question's embedding and its hits, best first.
    public func retrieve(_ question: String, method: SearchMethod = .hybrid, access: AccessFilter) async throws
        -> (vector: [Float], hits: [SearchHit])
    {
        let found = try await retrieval(question, method: method, access: access)
        return (found.vector, found.hits)
    }

    /// The question's embedding, its hits and the count of hidden candidates, from one search.
    public func retrieval(_ question: String, method: SearchMethod = .hybrid, access: AccessFilter) async throws
        -> Retrieval
    {
        let vector = try await embedder.embed(question, as: .query)
        return try retrieval(question, vector: vector, method: method, access: access)
    }

    /// The hits for a question whose embedding is already known, best first.
    public func retrieve(_ question: String, vector: [Float], method: SearchMethod = .hybrid, access: AccessFilter)
        throws -> [SearchHit]
    {
        try retrieval(question, vector: vector, method: method, access: access).hits
    }

    private func retrieval(_ question: String, vector: [Float], method: SearchMethod, access: AccessFilter) throws
        -> Retrieval
    {
        var request = SearchRequest(
            text: question, vector: vector, method: method, limit: max(limit * 3, ranker?.depth ?? 0),
            candidates: candidates, access: access)
        request.fusion = fusion
        request.indexGeneration = indexGeneration
        let results = try store.searchResults(request)
        var hits = Self.dropNearDuplicates(results.hits, threshold: duplicateThreshold)
        if let ranker { hits = ranker.rank(question, hits) }
        return Retrieval(vector: vector, hits: Array(hits.prefix(limit)), hiddenCandidates: results.hiddenCandidates)
    }

    /// Removes hits whose text nearly repeats a better-ranked hit (copied pages, quoted passages).
    static func dropNearDuplicates(_ hits: [SearchHit], threshold: Double) -> [SearchHit] {
        var kept: [(SearchHit, Set<String>)] = []
        for hit in hits {
            let shingles = Self.shingles(hit.text)
            let duplicate = kept.contains { _, other in
                let union = shingles.union(other).count
                return union > 0 && Double(shingles.intersection(other).count) / Double(union) >= threshold
            }
            if !duplicate { kept.append((hit, shingles)) }
        }
        return kept.map(\.0)
    }

    static func shingles(_ text: String) -> Set<String> {
        let words = text.lowercased().split { !$0.isLetter && !$0.isNumber }
        guard words.count >= 3 else { return Set(words.map(String.init)) }
        return Set((0...(words.count - 3)).map { words[$0..<$0 + 3].joined(separator: " ") })
    }
}
