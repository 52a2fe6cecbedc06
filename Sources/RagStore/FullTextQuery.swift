/// Turns what a user typed into a safe FTS5 query.
///
/// User text never reaches FTS5's query syntax: it is cut into words (letters, digits and
/// underscores), each word is quoted as a string, and the words are OR-ed, so that `NEAR`,
/// `*`, `"`, `:`, `-`, parentheses and column filters in a question are just text. BM25 then
/// ranks chunks that hold more of the words, and rarer ones, higher.
public enum FullTextQuery {
    /// Words too common to help ranking.
    static let stopwords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i", "if", "in",
        "into", "is", "it", "its", "me", "my", "of", "on", "or", "so", "that", "the", "their", "there", "this", "to",
        "was", "what", "when", "where", "which", "who", "why", "will", "with", "you", "your", "we", "our", "should",
        "would", "could", "get", "use", "any", "about", "than", "then", "them", "they", "has", "have", "had", "not",
        "one", "out", "all", "also", "up", "way", "s", "t", "let", "lets", "much", "many", "some", "make", "does",
    ]

    /// The FTS5 MATCH expression for `text`, or nil when it holds no searchable word.
    public static func match(_ text: String) -> String? {
        match(words: terms(text))
    }

    /// The FTS5 MATCH expression OR-ing `words` (each quoted), or nil for none.
    static func match(words: [String]) -> String? {
        guard !words.isEmpty else { return nil }
        return words.map { "\"\($0)\"" }.joined(separator: " OR ")
    }

    /// The distinct searchable words of `text`, lower-cased, in order.
    public static func terms(_ text: String) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        var word = ""
        func flush() {
            defer { word = "" }
            guard word.count > 1 || word.first?.isNumber == true else { return }
            let lower = word.lowercased()
            guard !stopwords.contains(lower), seen.insert(lower).inserted else { return }
            out.append(lower)
        }
        for ch in text {
            if ch.isLetter || ch.isNumber || ch == "_" { word.append(ch) } else { flush() }
        }
        flush()
        return Array(out.prefix(32))
    }
}
