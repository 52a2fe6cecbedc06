import RagCore
import RagInference

/// Picks source sentences that state what was asked: the evidence passage shown before the
/// model writes, and the quoted answer when no generated sentence survives verification.
///
/// A sentence qualifies only when it reads as a statement (not a heading, a label or a
/// navigation line), is close to the question, and holds enough of the question's key words;
/// a question that asks for an amount needs a sentence with a number. Nearest text is not an
/// answer: when nothing qualifies, there is no evidence and no quote.
public struct QuotedFallback: Sendable {
    /// Most sentences quoted.
    public var maxQuotes = 2
    /// Sources whose sentences are considered (best first).
    public var sourcesConsidered = 4
    /// Cosine similarity to the question a sentence needs.
    public var minimumSimilarity = 0.45
    /// Share of the question's key words a sentence (or its source) must hold.
    public var minimumCoverage = 0.5

    public init() {}

    /// The sentences that qualify, best first, with their scores.
    func ranked(_ index: SentenceIndex, sources: [Source]) -> [(entry: SentenceIndex.Entry, score: Double)] {
        let considered = Set(sources.prefix(sourcesConsidered).map(\.number))
        let wantsQuantity = Self.asksForQuantity(index.question)
        let focus = Self.focus(of: index.question)
        let names = Self.namesAndNumbers(in: index.question)
        // Each source's words once: its heading alone, and heading with text.
        var headingTerms: [Int: Set<String>] = [:], sourceTerms: [Int: Set<String>] = [:]
        var qualifying = Set<Int>()
        for source in sources {
            let heading = Terms.stems(source.sectionPath)
            let terms = heading.union(Terms.stems(source.text))
            headingTerms[source.number] = heading
            sourceTerms[source.number] = terms
            // Names and numbers in the question ("MySQL", "Debian 15") are what it is about: a
            // source that holds none of one of them cannot state the answer, however close its
            // words are.
            let named = terms.union(Terms.stems(source.title))
            if names.allSatisfy(named.contains) { qualifying.insert(source.number) }
        }
        var scored: [(entry: SentenceIndex.Entry, score: Double)] = []
        for entry in index.entries where considered.contains(entry.number) && qualifying.contains(entry.number)
            && !entry.isHeadingLike {
            if wantsQuantity && !entry.text.contains(where: \.isNumber) { continue }
            // "What TCP port …", "Which Redis command …": the thing asked about must be named.
            if let focus, !entry.words.contains(focus), !(headingTerms[entry.number]?.contains(focus) ?? false) {
                continue
            }
            // Key words may stand in the sentence or in its source's section heading.
            let sourceCoverage = index.questionTerms.isEmpty ? 0
                : Double(index.questionTerms.intersection(sourceTerms[entry.number] ?? []).count) / Double(index.questionTerms.count)
            guard entry.similarity >= minimumSimilarity, max(entry.coverage, sourceCoverage * 0.9) >= minimumCoverage
            else { continue }
            let rankBonus = 0.05 * Double(sourcesConsidered - min(entry.number - 1, sourcesConsidered)) / Double(sourcesConsidered)
            scored.append((entry, entry.similarity + 0.25 * entry.coverage + 0.1 * sourceCoverage + rankBonus))
        }
        return scored.sorted { $0.score > $1.score }
    }

    /// The best supporting sentence, or nil when none states what was asked.
    public func evidence(_ index: SentenceIndex, sources: [Source]) -> Evidence? {
        guard let best = ranked(index, sources: sources).first else { return nil }
        return Evidence(number: best.entry.number, sentence: best.entry.text, score: best.score, coverage: best.entry.coverage)
    }

    /// The quoted answer and the numbers it cites, or nil when no sentence qualifies.
    public func answer(_ index: SentenceIndex, sources: [Source]) -> (text: String, cited: [Int])? {
        let best = ranked(index, sources: sources)
        guard let top = best.first else { return nil }
        var quotes = [top]
        for candidate in best.dropFirst() where quotes.count < maxQuotes {
            // A second quote only if nearly as good, and not a near-repeat of the first.
            guard candidate.score >= top.score - 0.05 else { break }
            if candidate.entry.text != top.entry.text { quotes.append(candidate) }
        }
        let text = quotes.map { "\"\($0.entry.text)\" [\($0.entry.number)]" }.joined(separator: " ")
        return ("According to the documents: " + text, Array(Set(quotes.map(\.entry.number))).sorted())
    }

    /// The word a wh-question is about: the first content word after "what", "which", "how
    /// many" and the like, past measure words ("the largest number of tables" → "table").
    static func focus(of question: String) -> String? {
        let words = question.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "_" && $0 != "'" }.map(String.init)
        guard let start = words.firstIndex(where: { ["what", "which", "what's", "whats"].contains($0) })
            ?? words.indices.first(where: { words[$0] == "how" && $0 + 1 < words.count && ["many", "much"].contains(words[$0 + 1]) })
        else { return nil }
        let skip: Set<String> = [
            "what", "which", "what's", "whats", "how", "many", "much", "is", "are", "was", "were", "does", "do", "did", "the",
            "a", "an", "of", "kind", "type", "sort", "number", "largest", "smallest", "maximum", "minimum", "max", "min",
            "default", "exact", "size", "length", "amount", "value", "name", "s", "can", "will", "would", "should", "most",
            "least", "first", "last", "best", "main", "new", "current", "i", "you", "we", "one", "two", "it", "there",
        ]
        for word in words[start...] where !skip.contains(word) {
            guard word.count > 2, !Terms.stopwords.contains(word) else { continue }
            return Terms.stem(word)
        }
        return nil
    }

    /// The question's names and numbers, stemmed: words with a capital letter past the first
    /// character of the question or a digit ("PostgreSQL", "FTS5", "15"), less "I".
    static func namesAndNumbers(in question: String) -> Set<String> {
        var out = Set<String>()
        var first = true
        for word in question.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }) {
            defer { first = false }
            let w = String(word)
            guard w != "I" else { continue }
            let named = w.contains(where: \.isNumber) || (!first && w.contains(where: \.isUppercase))
                || (first && w.dropFirst().contains(where: \.isUppercase))
            if named { out.insert(Terms.stem(w.lowercased())) }
        }
        return out
    }

    /// Whether the question asks for an amount, a size, a limit or a date.
    static func asksForQuantity(_ question: String) -> Bool {
        let q = " " + question.lowercased() + " "
        return [" how many ", " how much ", " how big ", " how large ", " how long ", " how often ", " how old ",
                " largest ", " maximum ", " minimum ", " max ", " min ", " number of ", " what year ", " how far ",
                " smallest ", " at most ", " at least ", " up to "]
            .contains { q.contains($0) }
    }
}
