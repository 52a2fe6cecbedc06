import RagCore

/// Cuts streamed model text into complete sentences, each with the citation markers that
/// follow it ("… 64 tables. [1]" keeps its "[1]"). A sentence is complete once text after it
/// has begun (or its line has ended); `finish` hands over the rest.
public struct SentenceStream: Sendable {
    private var buffer = ""
    private var emitted = 0

    public init() {}

    /// Adds a piece of text; returns the sentences it completed.
    public mutating func append(_ piece: String) -> [String] {
        buffer += piece
        var parts = Self.parts(of: buffer)
        // The last part may still grow. If it could still turn into citation markers ("[", "[1"),
        // the sentence before it may still gain them: hold that one back too.
        let tail = parts.removeLast()
        if tail.first == "[", tail.dropFirst().allSatisfy({ $0.isNumber || $0 == "," || $0 == " " || $0 == "]" }) {
            _ = parts.popLast()
        }
        guard parts.count > emitted else { return [] }
        let fresh = Array(parts[emitted...])
        emitted = parts.count
        return fresh.filter { !$0.isEmpty }
    }

    /// The sentences not yet returned, at the end of the stream.
    public mutating func finish() -> [String] {
        let parts = Self.parts(of: buffer)
        guard parts.count > emitted else { return [] }
        let rest = Array(parts[emitted...])
        emitted = parts.count
        return rest.filter { !$0.isEmpty }
    }

    /// The complete sentences of a finished text.
    public static func sentences(in text: String) -> [String] { parts(of: text).filter { !$0.isEmpty } }

    /// Lines, then sentences within each line, with citation markers that open a sentence moved
    /// to the one before it. The last element is the part still being written ("" after a
    /// line break).
    static func parts(of text: String) -> [String] {
        var parts: [String] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            let isLast = n == lines.count - 1
            var pieces = Sentences.split(String(line)).map { Self.stripListMarker($0.0.trimmingCharacters(in: .whitespaces)) }
            if pieces.isEmpty && isLast { pieces = [""] }
            for var piece in pieces {
                while let lead = Self.leadingCitation(piece), let last = parts.indices.last, !parts[last].isEmpty {
                    parts[last] += " " + lead
                    piece = String(piece.dropFirst(lead.count)).trimmingCharacters(in: .whitespaces)
                }
                if piece.isEmpty && !isLast { continue }
                if let last = parts.last, last.isEmpty { parts.removeLast() }
                parts.append(piece)
            }
        }
        if parts.isEmpty { parts = [""] }
        return parts
    }

    static func leadingCitation(_ text: String) -> String? {
        guard text.first == "[", let close = text.firstIndex(of: "]") else { return nil }
        let inner = text[text.index(after: text.startIndex)..<close]
        guard !inner.isEmpty, inner.allSatisfy({ $0.isNumber || $0 == "," || $0 == " " }) else { return nil }
        return String(text[...close])
    }

    /// "- item", "* item", "1. item" → "item".
    static func stripListMarker(_ text: String) -> String {
        for marker in ["- ", "* ", "• "] where text.hasPrefix(marker) { return String(text.dropFirst(marker.count)) }
        if let dot = text.firstIndex(of: "."), text[..<dot].count <= 2, !text[..<dot].isEmpty,
           text[..<dot].allSatisfy(\.isNumber), text[text.index(after: dot)...].first == " " {
            return String(text[text.index(dot, offsetBy: 2)...])
        }
        return text
    }
}
