import Foundation

/// One question of an evaluation set (the format of ../shared/eval/dev-questions.jsonl), or a
/// question the corpus does not answer (`"answerable": false`, as in eval/unanswerable.jsonl:
/// only `id`, `question`, `kind` and `format` are needed).
public struct EvalItem: Sendable, Decodable {
    public var id: String
    public var question: String
    public var answer: String
    public var answerRegex: String
    public var source: String
    public var page: Int?
    public var evidence: String
    public var kind: String
    public var format: String
    /// False for a question the corpus does not answer: correct when the answer is `not_found`.
    public var answerable: Bool

    enum CodingKeys: String, CodingKey {
        case id, question, answer, source, page, evidence, kind, format, answerable
        case answerRegex = "answer_regex"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        question = try c.decode(String.self, forKey: .question)
        answerable = try c.decodeIfPresent(Bool.self, forKey: .answerable) ?? true
        kind = try c.decode(String.self, forKey: .kind)
        format = try c.decode(String.self, forKey: .format)
        page = try c.decodeIfPresent(Int.self, forKey: .page)
        if answerable {
            answer = try c.decode(String.self, forKey: .answer)
            answerRegex = try c.decode(String.self, forKey: .answerRegex)
            source = try c.decode(String.self, forKey: .source)
            evidence = try c.decode(String.self, forKey: .evidence)
        } else {
            answer = ""; answerRegex = ""; source = ""; evidence = ""
        }
    }

    /// Reads a JSON-lines file. - Throws: with the line number of a bad line.
    public static func load(_ path: String) throws -> [EvalItem] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").enumerated().compactMap { n, line in
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            do { return try JSONDecoder().decode(EvalItem.self, from: Data(line.utf8)) } catch {
                throw EvalError("\(path):\(n + 1): not an evaluation item: \(error)")
            }
        }
    }

    /// Whether a free-text answer is correct: `answer_regex`, case-insensitive.
    public func accepts(_ answer: String) -> Bool {
        guard answerable, let regex = try? NSRegularExpression(pattern: answerRegex, options: [.caseInsensitive]) else { return false }
        return regex.firstMatch(in: answer, range: NSRange(answer.startIndex..., in: answer)) != nil
    }
}

public struct EvalError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The scoring rule for retrieved passages (../shared/eval/README.md, `passage_hits`).
public enum PassageMatch {
    /// Whether `passage` contains `evidence` or overlaps it: after collapsing whitespace they
    /// share a substring of at least max(12, ⌈len/2⌉) characters (capped at the evidence
    /// length); tried again with all whitespace removed.
    public static func hits(passage: String, evidence: String) -> Bool {
        let p = collapse(passage), e = collapse(evidence)
        if matches(Array(p), Array(e)) { return true }
        return matches(Array(p.filter { !$0.isWhitespace }), Array(e.filter { !$0.isWhitespace }))
    }

    static func matches(_ p: [Character], _ e: [Character]) -> Bool {
        guard !e.isEmpty else { return false }
        let need = min(e.count, max(12, (e.count + 1) / 2))
        return longestCommonSubstring(p, e) >= need
    }

    static func collapse(_ s: String) -> String {
        s.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Length of the longest common substring (dynamic programming, two rows).
    static func longestCommonSubstring(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: b.count + 1)
        var current = previous
        var best = 0
        for i in 1...a.count {
            for j in 1...b.count {
                if a[i - 1] == b[j - 1] {
                    current[j] = previous[j - 1] + 1
                    best = max(best, current[j])
                } else {
                    current[j] = 0
                }
            }
            swap(&previous, &current)
        }
        return best
    }
}

/// Percentiles of a list of milliseconds.
public func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = p / 100 * Double(sorted.count - 1)
    let low = Int(rank.rounded(.down)), high = Int(rank.rounded(.up))
    return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
}
