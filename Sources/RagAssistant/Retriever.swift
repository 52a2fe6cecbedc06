import Foundation
import RagInference
import RagStore

/// Finds the sources for a question: hybrid search, access control in SQL, near-duplicates dropped.
public struct Retriever: Sendable {
    public let store: RagStore
    public let embedder: any EmbeddingModel
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

    /// The question's embedding and its hits, best first.
    public func retrieve(_ question: String, method: SearchMethod = .hybrid, access: AccessFilter) async throws
        -> (vector: [Float], hits: [SearchHit])
    {
        let vector = try await embedder.embed(question, as: .query)
        return (vector, try retrieve(question, vector: vector, method: method, access: access))
    }

    /// The hits for a question whose embedding is already known, best first.
    public func retrieve(_ question: String, vector: [Float], method: SearchMethod = .hybrid, access: AccessFilter)
        throws -> [SearchHit]
    {
        var request = SearchRequest(
            text: question, vector: vector, method: method, limit: max(limit * 3, ranker?.depth ?? 0),
            candidates: candidates, access: access)
        request.fusion = fusion
        var hits = Self.dropNearDuplicates(try store.search(request), threshold: duplicateThreshold)
        if let ranker { hits = ranker.rank(question, hits) }
        return Array(hits.prefix(limit))
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
