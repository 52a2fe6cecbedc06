import Foundation

/// Recognisers for single Markdown lines, used by `MarkdownReader`. Each takes the line
/// without its indentation unless it says otherwise.
extension MarkdownReader {
    /// The indentation of `line` in columns (a tab counts as 4).
    static func indentWidth(_ line: Substring) -> Int {
        var width = 0
        for ch in line {
            if ch == " " { width += 1 } else if ch == "\t" { width += 4 - width % 4 } else { break }
        }
        return width
    }

    /// `line` with up to `columns` columns of indentation removed.
    static func dropIndent(_ line: Substring, upTo columns: Int) -> Substring {
        var width = 0
        var index = line.startIndex
        while index < line.endIndex, width < columns {
            if line[index] == " " { width += 1 } else if line[index] == "\t" { width += 4 - width % 4 } else { break }
            index = line.index(after: index)
        }
        return line[index...]
    }

    /// ```` ``` ```` or `~~~` (three or more) opening a fenced code block.
    static func openingFence(_ text: Substring) -> (char: Character, length: Int)? {
        guard let first = text.first, first == "`" || first == "~" else { return nil }
        let length = text.prefix { $0 == first }.count
        guard length >= 3 else { return nil }
        if first == "`", text.dropFirst(length).contains("`") { return nil }
        return (first, length)
    }

    /// Whether the full `line` closes a fence opened with `length` × `char`.
    static func closesFence(_ line: Substring, char: Character, length: Int) -> Bool {
        guard indentWidth(line) < 4 else { return false }
        let text = line.drop { $0 == " " || $0 == "\t" }
        let run = text.prefix { $0 == char }.count
        return run >= length && !text.dropFirst(run).hasVisibleText
    }

    /// `# Title` ... `###### Title` (closing `#`s removed): level and raw title.
    static func atxHeading(_ text: Substring) -> (Int, Substring)? {
        let level = text.prefix { $0 == "#" }.count
        guard (1...6).contains(level) else { return nil }
        var rest = text.dropFirst(level)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        rest = rest.drop { $0 == " " || $0 == "\t" }
        while let last = rest.last, last == " " || last == "\t" { rest = rest.dropLast() }
        // A closing sequence of #s must be preceded by a space (or be everything).
        let closing = rest.reversed().prefix { $0 == "#" }.count
        if closing > 0 {
            let before = rest.dropLast(closing)
            if before.isEmpty || before.last == " " || before.last == "\t" {
                rest = before
                while let last = rest.last, last == " " || last == "\t" { rest = rest.dropLast() }
            }
        }
        return (level, rest)
    }

    /// `===` (level 1) or `---` (level 2) under a paragraph.
    static func setextLevel(_ text: Substring) -> Int? {
        let body = text.trimmingTrailingWhitespace
        guard let first = body.first, first == "=" || first == "-", body.allSatisfy({ $0 == first }) else { return nil }
        return first == "=" ? 1 : 2
    }

    /// `***`, `---`, `___` (three or more, spaces allowed between).
    static func isThematicBreak(_ text: Substring) -> Bool {
        let marks = text.filter { $0 != " " && $0 != "\t" }
        guard let first = marks.first, first == "*" || first == "-" || first == "_" else { return false }
        return marks.count >= 3 && marks.allSatisfy { $0 == first }
    }

    /// A list item start: normalised marker ("- " or "N. ") and the item's text.
    static func listMarker(_ text: Substring) -> (String, Substring)? {
        guard let first = text.first else { return nil }
        if first == "-" || first == "*" || first == "+" {
            let rest = text.dropFirst()
            guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
            return ("- ", rest.drop { $0 == " " || $0 == "\t" })
        }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard (1...9).contains(digits.count) else { return nil }
        let rest = text.dropFirst(digits.count)
        guard let delimiter = rest.first, delimiter == "." || delimiter == ")" else { return nil }
        let after = rest.dropFirst()
        guard after.isEmpty || after.first == " " || after.first == "\t" else { return nil }
        return ("\(Int(digits) ?? 1). ", after.drop { $0 == " " || $0 == "\t" })
    }

    /// A pipe table's delimiter row: cells of `-` with optional `:` at either end.
    static func isDelimiterRow(_ text: Substring) -> Bool {
        let cells = cells(text)
        guard !cells.isEmpty else { return false }
        return cells.allSatisfy { cell in
            var body = Substring(cell)
            if body.first == ":" { body = body.dropFirst() }
            if body.last == ":" { body = body.dropLast() }
            return !body.isEmpty && body.allSatisfy { $0 == "-" }
        }
    }

    /// The cells of a pipe-table row: split at unescaped `|` outside code spans, outer pipes
    /// dropped, cells trimmed; `\|` becomes `|`.
    static func cells(_ text: Substring) -> [String] {
        var row = text.trimmingTrailingWhitespace[...]
        if row.first == "|" { row = row.dropFirst() }
        if row.last == "|", !row.hasSuffix("\\|") { row = row.dropLast() }
        var cells: [String] = []
        var current = ""
        var inCode = false
        var index = row.startIndex
        while index < row.endIndex {
            let ch = row[index]
            let next = row.index(after: index)
            if ch == "\\", next < row.endIndex, row[next] == "|" {
                current.append("|")
                index = row.index(after: next)
                continue
            }
            if ch == "`" { inCode.toggle() }
            if ch == "|", !inCode {
                cells.append(current.collapsingWhitespace)
                current = ""
            } else {
                current.append(ch)
            }
            index = next
        }
        cells.append(current.collapsingWhitespace)
        return cells
    }

    /// `<a name="x"></a>` or `<a id="x"></a>` alone on a line: the anchor `x`.
    static func htmlAnchor(_ text: Substring) -> String? {
        let line = text.trimmingTrailingWhitespace
        guard line.hasPrefix("<a "), line.hasSuffix("</a>") || line.hasSuffix("/>") else { return nil }
        for key in ["name=", "id="] {
            guard let range = line.range(of: key) else { continue }
            var value = line[range.upperBound...]
            guard let quote = value.first, quote == "\"" || quote == "'" else { continue }
            value = value.dropFirst()
            let id = value.prefix { $0 != quote }
            if !id.isEmpty { return String(id) }
        }
        return nil
    }

    /// `[label]: destination` on its own line.
    static func isReferenceDefinition(_ text: Substring) -> Bool {
        guard text.first == "[", let close = text.firstIndex(of: "]") else { return false }
        let after = text[text.index(after: close)...]
        return after.hasPrefix(":") && close > text.index(after: text.startIndex)
    }

    /// The text after any `>` block-quote markers.
    static func stripQuoteMarkers(_ text: Substring) -> Substring {
        var rest = text
        while rest.first == ">" {
            rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
        }
        return rest
    }
}
