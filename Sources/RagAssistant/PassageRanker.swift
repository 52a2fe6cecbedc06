import Foundation
import RagStore

/// Re-scores the fused candidates of one search so that the passage that answers comes first.
///
/// Fusion ranks chunks by how well each whole ranking liked them; within a good document
/// several neighbouring chunks score alike, and the one that holds the answer is often the
/// one whose *sentences* hold the question's words together. Three signals, each scaled to
/// 0...1 within the candidates, are mixed linearly:
/// - the fused rank score (both rankings' agreement),
/// - the cosine similarity of the chunk to the question (every hit carries it),
/// - lexical focus: the largest share of the question's key words that one window of two
///   consecutive sentences holds, together with the chunk's headings (a heading or term match
///   counts for every window below it). Words are weighted by how rare they are among the
///   candidates, so the word every candidate shares decides nothing.
///
/// No model call: the cost is tokenising a few dozen chunks (well under a millisecond each).
/// The weights are chosen on the development set (bench/RESULTS.md, "Retrieval quality").
public struct PassageRanker: Sendable {
    public struct Weights: Sendable, Equatable {
        public var fused: Double
        public var similarity: Double
        public var focus: Double
        public init(fused: Double, similarity: Double, focus: Double) {
            self.fused = fused
            self.similarity = similarity
            self.focus = focus
        }
    }

    public var weights: Weights
    /// How many fused candidates are re-scored (the rest keep their order behind them).
    public var depth: Int

    public static let standard = PassageRanker(weights: Weights(fused: 0, similarity: 1, focus: 1), depth: 30)

    public init(weights: Weights, depth: Int) {
        self.weights = weights
        self.depth = depth
    }

    /// The candidates, best first.
    public func rank(_ question: String, _ hits: [SearchHit]) -> [SearchHit] {
        let head = Array(hits.prefix(depth))
        guard head.count > 1 else { return hits }
        let terms = Terms.keyTerms(question)
        let focus = Self.focus(terms: terms, hits: head)
        let fused = Self.scaled(head.map(\.fusedScore))
        let similarity = Self.scaled(head.map { $0.similarity ?? 0 })
        let scored = head.indices.map { i in
            (i, weights.fused * fused[i] + weights.similarity * similarity[i] + weights.focus * focus[i])
        }
        let order = scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map(\.0)
        return order.map { head[$0] } + hits.dropFirst(depth)
    }

    /// Each hit's best window coverage of the question's words, weighted by rarity among the hits.
    static func focus(terms: Set<String>, hits: [SearchHit]) -> [Double] {
        guard !terms.isEmpty else { return hits.map { _ in 0 } }
        let headings = hits.map { Terms.stems($0.sectionPath).intersection(terms) }
        let windows: [[Set<String>]] = hits.map { hit in
            let sentences = SourceSentences.of(hit.text).map { Terms.stems($0).intersection(terms) }
            guard sentences.count > 1 else { return [sentences.first ?? []] }
            return (0..<(sentences.count - 1)).map { sentences[$0].union(sentences[$0 + 1]) }
        }
        // Rarity: a word in every candidate weighs log(1 + 1) ≈ 0.7, one in a single candidate log(1 + n).
        var frequency: [String: Int] = [:]
        for i in hits.indices {
            for term in windows[i].reduce(headings[i], { $0.union($1) }) { frequency[term, default: 0] += 1 }
        }
        let n = Double(hits.count)
        let weight = { (term: String) -> Double in log(1 + n / Double(max(frequency[term] ?? 0, 1))) }
        let total = terms.reduce(0) { $0 + weight($1) }
        return hits.indices.map { i in
            let best = windows[i].map { $0.union(headings[i]).reduce(0) { $0 + weight($1) } }.max() ?? 0
            return total > 0 ? best / total : 0
        }
    }

    /// Min-max scaling to 0...1 (all equal: all 0).
    static func scaled(_ values: [Double]) -> [Double] {
        guard let low = values.min(), let high = values.max(), high > low else { return values.map { _ in 0 } }
        return values.map { ($0 - low) / (high - low) }
    }
}
