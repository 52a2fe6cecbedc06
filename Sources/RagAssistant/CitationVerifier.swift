import Foundation
import RagCore
import RagInference

/// Checks an answer sentence by sentence: every claim must cite sources that exist and say it.
///
/// Support is the best of two measures against the cited sources' sentences: the cosine
/// similarity of sentence embeddings (paraphrase), and the share of the claim's content words
/// found in the source (quotation, numbers, names). A claim is supported when either clears
/// its threshold; thresholds were calibrated on the development set (see bench/RESULTS.md).
public struct CitationVerifier: Sendable {
    public let embedder: any EmbeddingModel
    /// Cosine similarity a claim needs with some sentence of a cited source.
    public var similarityThreshold: Double
    /// Share of a claim's content words that must appear in a cited source.
    public var lexicalThreshold: Double

    public init(embedder: any EmbeddingModel, similarityThreshold: Double = 0.62, lexicalThreshold: Double = 0.8) {
        self.embedder = embedder
        self.similarityThreshold = similarityThreshold
        self.lexicalThreshold = lexicalThreshold
    }

    static let notAnsweredPhrase = "the documents do not answer"

    public func verify(_ answer: String, sources: [Source]) async throws -> Verification {
        let byNumber = Dictionary(uniqueKeysWithValues: sources.map { ($0.number, $0) })
        let claims = Self.claims(in: answer)
        if claims.isEmpty || answer.lowercased().contains(Self.notAnsweredPhrase) {
            return Verification(
                claims: [], passed: false,
                reason: claims.isEmpty ? "the answer is empty" : "the model said the documents do not answer")
        }
        // Embed every claim and every sentence of the cited sources in one call.
        let citedNumbers = Set(claims.flatMap(\.cited)).filter { byNumber[$0] != nil }
        var sourceSentences: [Int: [String]] = [:]
        for n in citedNumbers { sourceSentences[n] = SourceSentences.of(byNumber[n]!.text) }
        let flat = citedNumbers.sorted().flatMap { n in sourceSentences[n]!.map { (n, $0) } }
        let vectors = try await embedder.embed(claims.map(\.text) + flat.map(\.1)).vectors
        let claimVectors = vectors.prefix(claims.count)
        let sentenceVectors = Array(vectors.dropFirst(claims.count))

        var results: [Verification.Claim] = []
        for (i, claim) in claims.enumerated() {
            let fabricated = claim.cited.filter { byNumber[$0] == nil }
            var best = 0.0
            for (j, (n, _)) in flat.enumerated() where claim.cited.contains(n) {
                best = max(best, Double(cosineSimilarity(claimVectors[claimVectors.startIndex + i], sentenceVectors[j])))
            }
            let citedSources = claim.cited.compactMap { byNumber[$0] }
            let lexical = citedSources.map { Self.lexicalSupport(claim.text, in: $0.text) }.max() ?? 0
            // Numbers are the facts people ask for, and embeddings barely see them: every number
            // in a claim must stand in a cited source.
            let numbersFound = citedSources.contains { Self.numbersSupported(claim.text, in: $0.text) }
            let supported = fabricated.isEmpty && !claim.cited.isEmpty && numbersFound
                && (best >= similarityThreshold || lexical >= lexicalThreshold)
            results.append(Verification.Claim(
                sentence: claim.text, cited: claim.cited, support: max(best, lexical), supported: supported,
                fabricated: fabricated))
        }
        let failing = results.filter { !$0.supported }
        let reason: String
        if failing.isEmpty {
            reason = "all \(results.count) claims cite sources that support them"
        } else if let bad = failing.first(where: { !$0.fabricated.isEmpty }) {
            reason = "cites [\(bad.fabricated.map(String.init).joined(separator: ", "))], which is not a source"
        } else if let bad = failing.first(where: { $0.cited.isEmpty }) {
            reason = "a sentence cites no source: \"\(bad.sentence.prefix(60))\""
        } else {
            reason = "\(failing.count) of \(results.count) claims are not supported by the sources they cite"
        }
        return Verification(claims: results, passed: failing.isEmpty, reason: reason)
    }

    struct Claim {
        var text: String
        var cited: [Int]
    }

    /// The answer's sentences with the source numbers each cites ("[1]", "[1, 2]", "[1][3]").
    /// A citation standing alone after a sentence's full stop belongs to that sentence.
    static func claims(in answer: String) -> [Claim] {
        var out: [Claim] = []
        for (sentence, _) in Sentences.split(answer.replacingOccurrences(of: "\n", with: " ")) {
            let cited = citations(in: sentence)
            let text = stripCitations(sentence).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.count < 2 || text.allSatisfy({ $0.isPunctuation || $0.isWhitespace }) {
                if !cited.isEmpty, !out.isEmpty { out[out.count - 1].cited += cited }
                continue
            }
            out.append(Claim(text: text, cited: cited))
        }
        return out
    }

    static func citations(in text: String) -> [Int] {
        var out: [Int] = []
        var i = text.startIndex
        while let open = text[i...].firstIndex(of: "[") {
            guard let close = text[open...].firstIndex(of: "]") else { break }
            let inner = text[text.index(after: open)..<close]
            let numbers = inner.split { $0 == "," || $0 == " " }.compactMap { Int($0) }
            if !numbers.isEmpty, numbers.count == inner.split(whereSeparator: { $0 == "," || $0 == " " }).count {
                out += numbers
            }
            i = text.index(after: close)
        }
        return out
    }

    static func stripCitations(_ text: String) -> String {
        var out = ""
        var depth = 0
        var pending = ""
        for ch in text {
            if ch == "[" { depth += 1; pending = "["; continue }
            if depth > 0 {
                pending.append(ch)
                if ch == "]" {
                    depth = 0
                    let inner = pending.dropFirst().dropLast()
                    if !inner.allSatisfy({ $0.isNumber || $0 == "," || $0 == " " }) || inner.isEmpty { out += pending }
                    pending = ""
                }
                continue
            }
            out.append(ch)
        }
        return out + pending
    }

    /// Whether every number in `claim` (digits, thousands separators ignored) occurs in `source`.
    static func numbersSupported(_ claim: String, in source: String) -> Bool {
        let numbers = Self.numbers(claim)
        guard !numbers.isEmpty else { return true }
        let available = Set(Self.numbers(source))
        return numbers.allSatisfy { available.contains($0) }
    }

    static func numbers(_ text: String) -> [String] {
        let cleaned = text.replacingOccurrences(of: ",", with: "")
        return cleaned.split { !$0.isNumber && $0 != "." }.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
            .filter { !$0.isEmpty && $0.first!.isNumber }
    }

    /// Share of the claim's content words (letters/digits, not stopwords) that occur in `source`.
    static func lexicalSupport(_ claim: String, in source: String) -> Double {
        let words = contentWords(claim)
        guard !words.isEmpty else { return 0 }
        let sourceWords = Set(contentWords(source))
        return Double(words.filter { sourceWords.contains($0) }.count) / Double(words.count)
    }

    static func contentWords(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "_" }.map(String.init)
            .filter { $0.count > 2 || $0.first?.isNumber == true }
            .filter { !stopwords.contains($0) }
    }

    static let stopwords: Set<String> = [
        "the", "and", "for", "are", "can", "not", "you", "your", "with", "this", "that", "from", "has", "have", "was",
        "were", "will", "would", "which", "what", "when", "where", "who", "how", "its", "their", "there", "they",
        "them", "than", "then", "also", "into", "such", "any", "all", "but", "one", "may", "use", "used", "using",
        "documents", "document", "source", "sources", "according",
    ]
}

/// Sentences of a source chunk: lines (table rows, list items) and the sentences within them.
enum SourceSentences {
    static func of(_ text: String) -> [String] {
        text.split(separator: "\n").flatMap { line in Sentences.split(String(line)).map(\.0) }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.count >= 8 }
    }
}
