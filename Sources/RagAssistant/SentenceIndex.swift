import RagCore
import RagInference

/// The sentences of an answer's best sources, embedded once, with how well each matches the
/// question. The evidence passage, the prompt's trimmed context, citation verification and the
/// quoted fallback all read this one index, so each sentence is embedded only once per answer.
public struct SentenceIndex: Sendable {
    public struct Entry: Sendable {
        /// The source's number.
        public var number: Int
        /// Position of the sentence in its source.
        public var position: Int
        public var text: String
        /// Its stemmed content words (`Terms.stems`).
        public var words: Set<String>
        public var vector: [Float]
        /// Cosine similarity to the question.
        public var similarity: Double
        /// Share of the question's key words the sentence holds.
        public var coverage: Double
        /// A heading, a navigation line or a bare label: never quoted as an answer.
        public var isHeadingLike: Bool
    }

    public let question: String
    public let questionVector: [Float]
    /// The question's key words (stemmed content words).
    public let questionTerms: Set<String>
    public let entries: [Entry]

    /// Embeds the sentences of `sources` in one call.
    public static func build(question: String, questionVector: [Float], sources: [Source],
                             embedder: any EmbeddingModel) async throws -> SentenceIndex {
        var pending: [(Int, Int, String)] = []
        for source in sources {
            for (position, sentence) in SourceSentences.of(source.text).enumerated() {
                pending.append((source.number, position, sentence))
            }
        }
        let vectors = pending.isEmpty ? [] : try await embedder.embed(pending.map(\.2)).vectors
        let terms = Terms.keyTerms(question)
        let entries = pending.enumerated().map { i, item in
            let words = Terms.stems(item.2)
            return Entry(
                number: item.0, position: item.1, text: item.2, words: words, vector: vectors[i],
                similarity: Double(cosineSimilarity(questionVector, vectors[i])),
                coverage: terms.isEmpty ? 0 : Double(terms.intersection(words).count) / Double(terms.count),
                isHeadingLike: Self.isHeadingLike(item.2))
        }
        return SentenceIndex(question: question, questionVector: questionVector, questionTerms: terms, entries: entries)
    }

    /// The entries of source `number`, in source order.
    public func sentences(of number: Int) -> [Entry] { entries.filter { $0.number == number } }

    /// Whether a line reads as a heading or a navigation bar rather than a statement: no
    /// sentence punctuation and few words, or mostly separators and link words.
    public static func isHeadingLike(_ sentence: String) -> Bool {
        let trimmed = sentence.trimmingCharacters(in: .whitespaces)
        let words = trimmed.split(whereSeparator: \.isWhitespace)
        let navigationWords: Set<String> = ["prev", "previous", "next", "up", "home", "contents", "index", "top"]
        let separators = trimmed.filter { "|·»›>".contains($0) }.count
        if separators >= 2, words.filter({ navigationWords.contains($0.lowercased()) }).count >= 2 { return true }
        guard let last = trimmed.last else { return true }
        // A question is not an answer; a line mostly in capitals is a heading ("THE DEBIAN ARCHIVES 6.11.").
        if last == "?" { return true }
        let letters = trimmed.filter(\.isLetter)
        if letters.count >= 4, Double(letters.filter(\.isUppercase).count) / Double(letters.count) > 0.7 { return true }
        let ends = ".!?;)\"”".contains(last) || last.isNumber
        if !ends && words.count <= 12 { return true }
        return words.count < 4
    }
}

/// Word handling shared by the evidence picker, the verifier and the fallback: content words
/// (no stopwords), crudely stemmed so "tables" meets "table" and "joins" meets "join".
public enum Terms {
    /// The stemmed content words of `text`.
    public static func stems(_ text: String) -> Set<String> {
        Set(contentWords(text).map(stem))
    }

    /// The question's key words: its content words less the words every question has.
    public static func keyTerms(_ question: String) -> Set<String> {
        stems(question).subtracting(questionWords)
    }

    /// Lower-cased words of letters, digits and underscores, without stopwords; words of one or
    /// two letters are dropped, numbers kept.
    public static func contentWords(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "_" }.map(String.init)
            .filter { $0.count > 2 || $0.first?.isNumber == true }
            .filter { !stopwords.contains($0) }
    }

    static func stem(_ word: String) -> String {
        guard word.count > 4, word.first?.isLetter == true else { return word }
        for suffix in ["ingly", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s"] where word.hasSuffix(suffix) {
            let base = String(word.dropLast(suffix.count))
            if base.count >= 3 { return suffix == "ies" || suffix == "ied" ? base + "y" : base }
        }
        return word
    }

    static let stopwords: Set<String> = [
        "the", "and", "for", "are", "can", "not", "you", "your", "with", "this", "that", "from", "has", "have", "was",
        "were", "will", "would", "which", "what", "when", "where", "who", "how", "its", "their", "there", "they",
        "them", "than", "then", "also", "into", "such", "any", "all", "but", "one", "may", "use", "used", "using",
        "documents", "document", "source", "sources", "according", "does", "did", "doe", "should", "could", "about",
        "been", "being", "get", "gets", "got", "let", "lets", "just", "some", "out", "our", "these", "those", "each",
        "other", "only", "more", "most", "very", "much", "many", "there", "here", "via", "per", "over", "under",
    ]

    /// Words that say how a question is asked, not what it is about.
    static let questionWords: Set<String> = [
        "want", "need", "tell", "know", "way", "happen", "thing", "someth", "anything", "actual", "exact", "possible",
        "mean", "work", "kind", "like", "say", "said", "find", "make", "give", "show", "really", "able", "roughly",
        "approximately", "current", "myself", "someone", "officially", "usually", "typical", "typically", "call",
        "called", "happen",
    ]
}
