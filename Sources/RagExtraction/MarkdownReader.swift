import Foundation

import RagCore

/// A line-based reader for the Markdown that documentation is written in (CommonMark plus
/// GitHub pipe tables), aimed at structure rather than rendering.
///
/// - ATX (`## Title`) and setext (`Title` over `===`/`---`) headings open sections; the
///   chain of enclosing headings is the path. `{#id}` after a title, or an `<a name>` /
///   `<a id>` line before it, becomes the anchor.
/// - Fenced (```` ``` ````/`~~~`) and indented code become `.code` with line breaks kept.
/// - `-`, `*`, `+` and `1.`/`1)` items become `.listItem` with "- " or "N. " markers; lines
///   that continue an item join it.
/// - A pipe table (header row, then a `---|:---:` delimiter row) becomes `.table`.
/// - Block quotes read as paragraphs; YAML front matter is skipped (its `title:` is used);
///   link reference definitions are dropped. Inline markup is reduced by `MarkdownInline`.
struct MarkdownReader {
    private var builder = SectionBuilder()
    private var paragraph: [Substring] = []
    private var listItem: (marker: String, lines: [Substring])?
    private var table: (header: [String], rows: [[String]])?
    private var indentedCode: [Substring] = []
    private var fence: (char: Character, length: Int, indent: Int, lines: [Substring])?
    /// Set after a list item, so that indented lines continue the list instead of being code.
    private var afterList = false
    private var pendingAnchor: String?
    private var firstH1: String?
    private var frontMatterTitle: String?

    mutating func read(_ lines: [Substring]) -> ExtractedDocument {
        var index = skipFrontMatter(lines)
        while index < lines.count {
            process(lines[index])
            index += 1
        }
        if let open = fence {
            emitCode(open.lines)
            fence = nil
        }
        flushAll()
        return ExtractedDocument(format: .markdown, title: frontMatterTitle ?? firstH1, sections: builder.finish())
    }

    // MARK: - Lines

    private mutating func process(_ line: Substring) {
        if let open = fence {
            if Self.closesFence(line, char: open.char, length: open.length) {
                emitCode(open.lines)
                fence = nil
            } else {
                fence?.lines.append(Self.dropIndent(line, upTo: open.indent))
            }
            return
        }
        guard line.hasVisibleText else {
            flushParagraph()
            flushListItem()
            flushTable()
            if !indentedCode.isEmpty { indentedCode.append("") }
            return
        }
        let indent = Self.indentWidth(line)
        let text = line.drop { $0 == " " || $0 == "\t" }

        if indent >= 4, paragraph.isEmpty, listItem == nil, table == nil, !afterList {
            indentedCode.append(Self.dropIndent(line, upTo: 4))
            return
        }
        flushIndentedCode()
        if indent < 4, let opened = Self.openingFence(text) {
            flushAll()
            fence = (opened.char, opened.length, indent, [])
            return
        }
        if indent < 4, let (level, title) = Self.atxHeading(text) {
            flushAll()
            heading(level: level, text: title)
            return
        }
        if indent < 4, !paragraph.isEmpty, listItem == nil, let level = Self.setextLevel(text) {
            let title = paragraph.joined(separator: " ")
            paragraph.removeAll()
            heading(level: level, text: Substring(title))
            return
        }
        if indent < 4, Self.isThematicBreak(text) {
            flushAll()
            afterList = false
            return
        }
        if table != nil {
            if text.contains("|") {
                table?.rows.append(Self.cells(text))
                return
            }
            flushTable()
        }
        if indent < 4, let headerLine = paragraph.last, headerLine.contains("|") || text.contains("|"),
           Self.isDelimiterRow(text) {
            paragraph.removeLast()
            flushParagraph()
            table = (Self.cells(headerLine.drop { $0 == " " || $0 == "\t" }), [])
            return
        }
        if let (marker, rest) = Self.listMarker(text) {
            flushParagraph()
            flushListItem()
            listItem = (marker, [rest])
            afterList = true
            return
        }
        if paragraph.isEmpty, listItem == nil, let anchor = Self.htmlAnchor(text) {
            pendingAnchor = anchor
            return
        }
        if paragraph.isEmpty, listItem == nil, Self.isReferenceDefinition(text) { return }
        let content = Self.stripQuoteMarkers(text)
        if listItem != nil {
            listItem?.lines.append(content)
            return
        }
        if indent < 2 { afterList = false }
        paragraph.append(content)
    }

    // MARK: - Emitting

    private mutating func heading(level: Int, text: Substring) {
        var title = String(text)
        var anchor: String?
        if let open = title.range(of: "{#", options: .backwards), title.hasSuffix("}") {
            let id = title[open.upperBound..<title.index(before: title.endIndex)]
            if !id.isEmpty, !id.contains(" ") { anchor = String(id) }
            title = String(title[..<open.lowerBound])
        }
        let plain = MarkdownInline.plainText(title)
        let finalAnchor = anchor ?? pendingAnchor
        pendingAnchor = nil
        guard !plain.isEmpty else { return }
        if level == 1, firstH1 == nil { firstH1 = plain }
        builder.startHeading(level: level, title: plain, anchor: finalAnchor)
        afterList = false
    }

    private mutating func emit(_ block: Block) {
        if let anchor = pendingAnchor {
            pendingAnchor = nil
            builder.startAnchor(anchor)
        }
        builder.append(block)
    }

    private mutating func emitCode(_ lines: [Substring]) {
        var lines = lines.map { String($0).trimmingTrailingWhitespace }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        if !lines.isEmpty { emit(.code(lines.joined(separator: "\n"))) }
    }

    private mutating func flushAll() {
        flushParagraph()
        flushListItem()
        flushTable()
        flushIndentedCode()
    }

    private mutating func flushParagraph() {
        guard !paragraph.isEmpty else { return }
        let text = MarkdownInline.plainText(paragraph.joined(separator: "\n"))
        paragraph.removeAll()
        if !text.isEmpty { emit(.paragraph(text)) }
    }

    private mutating func flushListItem() {
        guard let item = listItem else { return }
        listItem = nil
        let text = MarkdownInline.plainText(item.lines.joined(separator: "\n"))
        if !text.isEmpty { emit(.listItem(item.marker + text)) }
    }

    private mutating func flushTable() {
        guard let open = table else { return }
        table = nil
        let header = open.header.map { MarkdownInline.plainText($0) }
        let rows = open.rows.map { $0.map { MarkdownInline.plainText($0) } }.filter { $0.contains { !$0.isEmpty } }
        if rows.isEmpty {
            let text = header.filter { !$0.isEmpty }.joined(separator: " | ")
            if !text.isEmpty { emit(.paragraph(text)) }
        } else {
            emit(.table(Table(header: header, rows: rows)))
        }
    }

    private mutating func flushIndentedCode() {
        guard !indentedCode.isEmpty else { return }
        emitCode(indentedCode)
        indentedCode.removeAll()
    }

    // MARK: - Front matter

    /// Skips a YAML front matter block (`---` ... `---` or `...`) and keeps its `title:`.
    private mutating func skipFrontMatter(_ lines: [Substring]) -> Int {
        guard let first = lines.first, first.trimmingTrailingWhitespace == "---" else { return 0 }
        for index in 1..<min(lines.count, 200) {
            let line = lines[index].trimmingTrailingWhitespace
            if line == "---" || line == "..." { return index + 1 }
            if line.hasPrefix("title:") {
                var value = line.dropFirst("title:".count).collapsingWhitespace
                if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                    value = String(value.dropFirst().dropLast())
                }
                frontMatterTitle = value.isEmpty ? nil : value
            }
        }
        frontMatterTitle = nil
        return 0 // No closing line: not front matter after all.
    }
}
