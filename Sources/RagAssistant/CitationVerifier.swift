import Foundation
import RagCore
import RagInference

/// Checks generated sentences one at a time against the sources the model was given.
///
/// A sentence is **supported** by a source when every number in it stands in that source
/// (literally: embeddings barely see numbers) and either its embedding is close to one of the
/// source's sentences (paraphrase) or most of its content words occur in the source
/// (quotation, names). It must also be **on topic**: close to the question, or holding its key
/// words. The sources shown with a sentence are the cited ones that support it; when the model
/// cited none that do (or none at all), the verifier attaches the source that supports it best
/// (post-hoc attribution). A sentence no source supports is withheld, with the reason.
/// Thresholds were calibrated on the development set (bench/RESULTS.md).
public struct CitationVerifier: Sendable {
    public var embedder: any EmbeddingModel
    /// Cosine similarity a sentence needs with some sentence of a source.
    public var similarityThreshold: Double
    /// Share of a sentence's content words that must appear in a source.
    public var lexicalThreshold: Double
    /// Cosine similarity to the question below which a sentence (that holds none of the
    /// question's key words) is off topic.
    public var relevanceThreshold: Double

    public init(embedder: any EmbeddingModel, similarityThreshold: Double = 0.70, lexicalThreshold: Double = 0.70,
                relevanceThreshold: Double = 0.30) {
        self.embedder = embedder
        self.similarityThreshold = similarityThreshold
        self.lexicalThreshold = lexicalThreshold
        self.relevanceThreshold = relevanceThreshold
    }

    /// Checks one sentence (with its citation markers) against the sources in `index`.
    /// - Parameter continuing: a sentence already shown precedes this one, so it may elaborate
    ///   ("This value is usually 0.") without repeating the question's words.
    public func check(_ sentence: String, sources: [Source], index: SentenceIndex, continuing: Bool = false) async throws
        -> Verification.Claim
    {
        let cited = Self.citations(in: sentence)
        let text = Self.stripCitations(sentence).trimmingCharacters(in: .whitespacesAndNewlines)
        let byNumber = Dictionary(uniqueKeysWithValues: sources.map { ($0.number, $0) })
        let fabricated = cited.filter { byNumber[$0] == nil }
        var claim = Verification.Claim(sentence: text, cited: cited, support: 0, supported: false, fabricated: fabricated)
        if Self.declines(text) {
            claim.rejection = Self.declinedReason
            return claim
        }
        guard text.count >= 8, text.contains(where: \.isLetter) else {
            claim.rejection = "not a statement"
            return claim
        }
        // A sentence that breaks off where the answer should be ("The default page size is [1].").
        if Self.breaksOff(text) {
            claim.rejection = "the sentence breaks off before its answer"
            return claim
        }
        let vector = try await embedder.embed(text)
        var support: [Int: Double] = [:]
        for source in sources {
            let best = index.sentences(of: source.number)
                .map { Double(cosineSimilarity(vector, $0.vector)) }.max() ?? 0
            let lexical = Self.lexicalSupport(text, in: source.text)
            let numbers = Self.numbersSupported(text, in: source.text)
            let passes = numbers && (best >= similarityThreshold || lexical >= lexicalThreshold)
            support[source.number] = passes ? max(best, lexical) : -max(best, lexical)
        }
        claim.support = support.values.map(abs).max() ?? 0
        let onTopic = continuing || Double(cosineSimilarity(vector, index.questionVector)) >= relevanceThreshold
            || !index.questionTerms.intersection(Terms.stems(text)).isEmpty
        guard onTopic else {
            claim.rejection = "does not address the question"
            return claim
        }
        let supportingCited = cited.filter { (support[$0] ?? -1) > 0 }
        if !supportingCited.isEmpty {
            claim.attributed = Array(Set(supportingCited)).sorted()
        } else if let best = support.filter({ $0.value > 0 }).max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }) {
            claim.attributed = [best.key]
        } else {
            let numbersMissing = !sources.contains { Self.numbersSupported(text, in: $0.text) }
            claim.rejection = numbersMissing
                ? "a number in it is in none of the sources"
                : "no source supports it (best support \(String(format: "%.2f", claim.support)))"
            return claim
        }
        claim.supported = true
        return claim
    }

    /// Checks a whole answer sentence by sentence (what the streaming path does, at once).
    public func verify(_ answer: String, sources: [Source], question: String = "", questionVector: [Float]? = nil)
        async throws -> Verification
    {
        let qVector: [Float]
        if let questionVector { qVector = questionVector } else { qVector = try await embedder.embed(question.isEmpty ? answer : question, as: .query) }
        let index = try await SentenceIndex.build(
            question: question, questionVector: qVector, sources: sources, embedder: embedder)
        var claims: [Verification.Claim] = []
        for sentence in SentenceStream.sentences(in: answer) {
            claims.append(try await check(sentence, sources: sources, index: index, continuing: claims.contains(where: \.supported)))
        }
        return Self.summary(claims)
    }

    /// The verdict over the checked sentences.
    public static func summary(_ claims: [Verification.Claim]) -> Verification {
        let shown = claims.filter(\.supported).count
        let withheld = claims.count - shown
        let reason: String
        if claims.isEmpty {
            reason = "the model wrote nothing"
        } else if shown == 0, claims.contains(where: { $0.rejection == declinedReason }) {
            reason = declinedReason
        } else if withheld == 0 {
            reason = "all \(shown) sentences are supported by the sources they cite"
        } else {
            let first = claims.first { !$0.supported }!
            reason = "\(shown) of \(claims.count) sentences shown; withheld: \(first.rejection ?? "unsupported")"
                + (withheld > 1 ? " (and \(withheld - 1) more)" : "")
        }
        return Verification(claims: claims, passed: shown > 0 && withheld == 0, reason: reason)
    }

    /// The rejection of a sentence in which the model declines ("NOT FOUND").
    public static let declinedReason = "the model said the sources do not answer"

    /// Whether a sentence says the sources have no answer ("NOT FOUND", "The documents do not …").
    static func declines(_ text: String) -> Bool {
        let t = text.lowercased()
        if t.hasPrefix("not found") || t.hasPrefix("i don't know") || t.hasPrefix("i do not know") { return true }
        let aboutTheSources = ["source", "document", "information", "context", "provided", "given text"].contains { t.contains($0) }
        return aboutTheSources && ["do not", "does not", "don't", "doesn't", "no information", "not mention",
                                   "not specif", "not provide", "cannot", "can't", "unable", "not contain", "not in the"]
            .contains { t.contains($0) }
    }

    /// Whether a sentence ends on a word that needs more after it ("… is.", "… released on .").
    static func breaksOff(_ text: String) -> Bool {
        let words = text.lowercased().split { !$0.isLetter && !$0.isNumber }
        guard let last = words.last else { return true }
        return ["is", "are", "was", "were", "the", "a", "an", "of", "to", "on", "in", "by", "for", "with", "be", "as",
                "at", "from", "and", "or", "called", "named", "than"].contains(String(last))
    }

    /// The source numbers a sentence cites ("[1]", "[1, 2]", "[1][3]").
    public static func citations(in text: String) -> [Int] {
        var out: [Int] = []
        var i = text.startIndex
        while let open = text[i...].firstIndex(of: "[") {
            guard let close = text[open...].firstIndex(of: "]") else { break }
            let inner = text[text.index(after: open)..<close]
            let parts = inner.split(whereSeparator: { $0 == "," || $0 == " " })
            let numbers = parts.compactMap { Int($0) }
            if !numbers.isEmpty, numbers.count == parts.count { out += numbers }
            i = text.index(after: close)
        }
        return out
    }

    /// The text without its citation markers.
    public static func stripCitations(_ text: String) -> String {
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
        return (out + pending).replacingOccurrences(of: " .", with: ".").replacingOccurrences(of: "  ", with: " ")
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

    /// Share of the claim's content words (stemmed) that occur in `source`.
    static func lexicalSupport(_ claim: String, in source: String) -> Double {
        let words = Terms.contentWords(claim).map(Terms.stem)
        guard !words.isEmpty else { return 0 }
        let sourceWords = Terms.stems(source)
        return Double(words.filter { sourceWords.contains($0) }.count) / Double(words.count)
    }
}

/// Sentences of a source chunk: lines (table rows, list items) and the sentences within them.
enum SourceSentences {
    static func of(_ text: String) -> [String] {
        text.split(separator: "\n").flatMap { line in Sentences.split(String(line)).map(\.0) }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.count >= 8 }
    }
}
