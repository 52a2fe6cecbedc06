/// Reduces Markdown inline markup to the text a reader sees, so that searches and evidence
/// quotes match the prose rather than its syntax.
///
/// Handles: backslash escapes, code spans (content kept verbatim), links and images (their
/// text or alt text), autolinks, and `*`/`_` emphasis when an opener has a matching closer.
/// Intraword `_` and `*` (SQLITE_MAX_LENGTH, 2*3*4) are text. Unknown constructs stay as written.
enum MarkdownInline {
    /// How far ahead a closing delimiter or bracket is looked for; keeps pathological input linear.
    static let lookahead = 1000
    /// Link text nested deeper than this is left as written.
    static let maxNesting = 8

    static func plainText(_ text: some StringProtocol) -> String {
        strip(Array(text), depth: 0).collapsingWhitespace
    }

    private static func strip(_ c: [Character], depth: Int) -> String {
        var out = ""
        out.reserveCapacity(c.count)
        var i = 0
        while i < c.count {
            let ch = c[i]
            switch ch {
            case "\\" where i + 1 < c.count && c[i + 1].isASCII && c[i + 1].isPunctuationOrSymbol:
                out.append(c[i + 1])
                i += 2
            case "`":
                let run = runLength(c, from: i)
                if let close = findBacktickRun(c, length: run, from: i + run) {
                    var content = String(c[(i + run)..<close])
                    if content.count >= 2, content.first == " ", content.last == " ", content.hasVisibleText {
                        content = String(content.dropFirst().dropLast())
                    }
                    out += content
                    i = close + run
                } else {
                    out += String(c[i..<(i + run)])
                    i += run
                }
            case "!" where i + 1 < c.count && c[i + 1] == "[" && depth < maxNesting:
                if let (label, end) = link(c, at: i + 1) {
                    out += strip(label, depth: depth + 1)
                    i = end
                } else {
                    out.append(ch)
                    i += 1
                }
            case "[" where depth < maxNesting:
                if let (label, end) = link(c, at: i) {
                    out += strip(label, depth: depth + 1)
                    i = end
                } else {
                    out.append(ch)
                    i += 1
                }
            case "<":
                if let end = autolinkEnd(c, from: i) {
                    out += String(c[(i + 1)..<end])
                    i = end + 1
                } else {
                    out.append(ch)
                    i += 1
                }
            case "*", "_":
                let run = runLength(c, from: i)
                if run <= 3, depth < maxNesting, isOpener(c, at: i, run: run), let close = findCloser(c, char: ch, run: run, from: i + run) {
                    out += strip(Array(c[(i + run)..<close]), depth: depth + 1)
                    i = close + run
                } else {
                    out += String(c[i..<(i + run)])
                    i += run
                }
            default:
                out.append(ch)
                i += 1
            }
        }
        return out
    }

    private static func runLength(_ c: [Character], from start: Int) -> Int {
        var end = start
        while end < c.count, c[end] == c[start] { end += 1 }
        return end - start
    }

    private static func findBacktickRun(_ c: [Character], length: Int, from start: Int) -> Int? {
        var i = start
        let limit = min(c.count, start + lookahead)
        while i < limit {
            if c[i] == "`" {
                let run = runLength(c, from: i)
                if run == length { return i }
                i += run
            } else {
                i += 1
            }
        }
        return nil
    }

    /// `[label](target)`, `[label][ref]` or `[label][]` starting at the `[` at `open`: the
    /// label and the index after the construct.
    private static func link(_ c: [Character], at open: Int) -> ([Character], Int)? {
        guard let close = matching(c, open: open, opener: "[", closer: "]") else { return nil }
        let label = Array(c[(open + 1)..<close])
        let next = close + 1
        if next < c.count, c[next] == "(", let end = matching(c, open: next, opener: "(", closer: ")") {
            return (label, end + 1)
        }
        if next < c.count, c[next] == "[", let end = matching(c, open: next, opener: "[", closer: "]") {
            return (label, end + 1)
        }
        return nil
    }

    /// The index of the bracket closing the one at `open`, honouring nesting and escapes.
    private static func matching(_ c: [Character], open: Int, opener: Character, closer: Character) -> Int? {
        var depth = 0
        var i = open
        let limit = min(c.count, open + lookahead)
        while i < limit {
            switch c[i] {
            case "\\": i += 1
            case opener: depth += 1
            case closer:
                depth -= 1
                if depth == 0 { return i }
            case "\n" where opener == "(": return nil
            default: break
            }
            i += 1
        }
        return nil
    }

    /// `<https://...>` or `<user@host>`: the index of the closing `>`.
    private static func autolinkEnd(_ c: [Character], from start: Int) -> Int? {
        var i = start + 1
        var sawSeparator = false
        while i < c.count, i - start < 500 {
            let ch = c[i]
            if ch == ">" { return sawSeparator && i > start + 1 ? i : nil }
            if ch == " " || ch == "<" || ch.isNewline { return nil }
            if ch == ":" || ch == "@" { sawSeparator = true }
            i += 1
        }
        return nil
    }

    /// An opener is followed by non-space and not preceded by a letter or digit.
    private static func isOpener(_ c: [Character], at i: Int, run: Int) -> Bool {
        let after = i + run < c.count ? c[i + run] : " "
        let before = i > 0 ? c[i - 1] : " "
        return !after.isWhitespace && !(before.isLetter || before.isNumber)
    }

    /// A closer run of the same character and length, preceded by non-space and not followed
    /// by a letter or digit.
    private static func findCloser(_ c: [Character], char: Character, run: Int, from start: Int) -> Int? {
        var i = start
        let limit = min(c.count, start + lookahead)
        while i < limit {
            if c[i] == char {
                let length = runLength(c, from: i)
                let before = c[i - 1]
                let after = i + length < c.count ? c[i + length] : " "
                if length == run, i > start, !before.isWhitespace, !(after.isLetter || after.isNumber) { return i }
                i += length
            } else {
                i += 1
            }
        }
        return nil
    }
}

private extension Character {
    var isPunctuationOrSymbol: Bool { isPunctuation || isSymbol }
}
