import RagCore
import RagInference

/// An extractive answer: the source sentences that best answer the question, quoted with
/// their citations. Used when a generated answer fails verification — it cannot say anything
/// the documents do not.
public struct QuotedFallback: Sendable {
    public let embedder: any EmbeddingModel
    /// Most sentences quoted.
    public var maxQuotes = 3
    /// Sources whose sentences are considered (best first).
    public var sourcesConsidered = 4
    /// Similarity a sentence needs with the question to be quoted at all.
    public var minimumSimilarity = 0.35

    public init(embedder: any EmbeddingModel) { self.embedder = embedder }

    /// The quoted answer and the numbers it cites, or nil when no sentence is close enough.
    public func answer(_ question: String, questionVector: [Float], sources: [Source]) async throws
        -> (text: String, cited: [Int])?
    {
        let candidates = sources.prefix(sourcesConsidered).flatMap { source in
            SourceSentences.of(source.text).map { (source.number, $0) }
        }
        guard !candidates.isEmpty else { return nil }
        let vectors = try await embedder.embed(candidates.map(\.1)).vectors
        let terms = Set(CitationVerifier.contentWords(question))
        let wantsQuantity = Self.asksForQuantity(question)
        var scored: [(score: Double, number: Int, sentence: String)] = []
        for (i, (number, sentence)) in candidates.enumerated() {
            let similarity = Double(cosineSimilarity(questionVector, vectors[i]))
            let words = Set(CitationVerifier.contentWords(sentence))
            let overlap = terms.isEmpty ? 0 : Double(terms.intersection(words).count) / Double(terms.count)
            // Better-ranked sources get a little more weight, and a question that asks for a
            // number prefers sentences that state one.
            let rankBonus = 0.05 * Double(sourcesConsidered - min(number - 1, sourcesConsidered)) / Double(sourcesConsidered)
            let quantityBonus = wantsQuantity && sentence.contains(where: \.isNumber) ? 0.1 : 0
            scored.append((similarity + 0.25 * overlap + rankBonus + quantityBonus, number, sentence))
        }
        let best = scored.sorted { $0.score > $1.score }
        guard let top = best.first, top.score >= minimumSimilarity else { return nil }
        var quotes = [top]
        for candidate in best.dropFirst() where quotes.count < maxQuotes {
            // A second quote only if nearly as good, and not a near-repeat of the first.
            guard candidate.score >= top.score - 0.1 else { break }
            if candidate.sentence != top.sentence { quotes.append(candidate) }
        }
        let text = quotes.map { "\"\($0.sentence)\" [\($0.number)]" }.joined(separator: " ")
        return ("According to the documents: " + text, quotes.map(\.number))
    }

    /// Whether the question asks for an amount, a size, a limit or a date.
    static func asksForQuantity(_ question: String) -> Bool {
        let q = " " + question.lowercased() + " "
        return [" how many ", " how much ", " how big ", " how large ", " how long ", " how often ", " how old ",
                " largest ", " maximum ", " minimum ", " max ", " min ", " limit ", " default ", " number of ",
                " what year ", " when ", " size ", " how far ", " smallest ", " most ", " at least ", " up to "]
            .contains { q.contains($0) }
    }
}
