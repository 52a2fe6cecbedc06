import Foundation

/// One question of an evaluation set (the format of ../shared/eval/dev-questions.jsonl), or a
/// question the corpus does not answer (`"answerable": false`, as in eval/unanswerable.jsonl:
/// only `id`, `question`, `kind` and `format` are needed), or a conversation (the format of
/// eval/follow-ups.jsonl: `turns` in place of `question`, the gold fields describing the last
/// turn, and `standalone`, the last turn written out by hand to stand alone).
public struct EvalItem: Sendable, Decodable {
    public var id: String
    /// The question scored: the last turn of a conversation.
    public var question: String
    /// The turns before `question` in a conversation (empty for a single question).
    public var earlierTurns: [String]
    /// A conversation's last turn as a self-contained question.
    public var standalone: String?
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
        case id, question, answer, source, page, evidence, kind, format, answerable, turns, standalone
        case answerRegex = "answer_regex"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        if let turns = try c.decodeIfPresent([String].self, forKey: .turns) {
            guard let last = turns.last, turns.count >= 2 else {
                throw DecodingError.dataCorruptedError(forKey: .turns, in: c, debugDescription: "a conversation has at least two turns")
            }
            question = last
            earlierTurns = Array(turns.dropLast())
        } else {
            question = try c.decode(String.self, forKey: .question)
            earlierTurns = []
        }
        standalone = try c.decodeIfPresent(String.self, forKey: .standalone)
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

    /// True for a conversation's last turn.
    public var isFollowUp: Bool { !earlierTurns.isEmpty }

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
