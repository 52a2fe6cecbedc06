import RagCore

/// Reads Markdown into sections, aimed at structure rather than rendering. libcmark-gfm
/// parses it (CommonMark plus GitHub tables and strikethrough; see `MarkdownTree`) and this
/// walks the tree into the blocks the HTML extractor produces:
///
/// - ATX (`## Title`) and setext (`Title` over `===`/`---`) headings open sections; the
///   chain of enclosing headings is the path. `{#id}` after a title, or an `<a name>` /
///   `<a id>` tag before or inside it, becomes the anchor.
/// - Fenced and indented code become `.code` with line breaks kept.
/// - List items become `.listItem` with "- " or "N. " markers, numbered from the list's start
///   as a browser shows them. As in the HTML extractor, an item's first paragraph carries the
///   marker, its later paragraphs are paragraphs, and a nested list's items follow as items.
/// - A GFM table becomes `.table` with its header row.
/// - Block quotes are read as their blocks; HTML blocks as HTML (`MarkdownHTMLBlock`); YAML
///   front matter is skipped, its `title:` used (`MarkdownFrontMatter`); link reference
///   definitions are not text. Inline markup is reduced by `MarkdownInlineText`.
struct MarkdownReader {
    private var builder = SectionBuilder()
    /// The text of the paragraph, heading or table cell being read.
    private var inline: MarkdownInlineText?
    /// The marker ("- ", "3. ") for the first paragraph of the list item being read.
    private var pendingMarker: String?
    private var lists: [(ordered: Bool, next: Int)] = []
    private var table: (header: [String], rows: [[String]])?
    private var row: [String] = []
    /// An anchor seen between blocks, waiting for the block or heading it names.
    private var pendingAnchor: String?
    private var firstH1: String?

    /// Reads a Markdown file split into lines (see `TextExtractor.lines(of:)`).
    static func read(_ lines: [Substring]) -> ExtractedDocument {
        let frontMatter = MarkdownFrontMatter(lines)
        let body = lines.dropFirst(frontMatter.lineCount).joined(separator: "\n")
        var reader = MarkdownReader()
        if let tree = MarkdownTree(parsing: body) {
            tree.walk { node, event in
                let kind = node.kind
                if event == .enter { reader.enter(node, kind) } else { reader.exit(node, kind) }
            }
        }
        let sections = reader.builder.finish()
        return ExtractedDocument(format: .markdown, title: frontMatter.title ?? reader.firstH1, sections: sections)
    }

    private mutating func enter(_ node: MarkdownNode, _ kind: MarkdownNode.Kind) {
        switch kind {
        case .paragraph, .heading, .tableCell:
            inline = MarkdownInlineText()
        case .list:
            lists.append((node.isOrderedList, node.listStart))
        case .item:
            pendingMarker = "- "
            if let index = lists.indices.last, lists[index].ordered {
                pendingMarker = "\(lists[index].next). "
                lists[index].next += 1
            }
        case .codeBlock:
            // Tidied as `<pre>` is: blank lines around it and trailing spaces go, indentation stays.
            let code = HTMLPreformattedText.tidy(node.literal)
            if code.hasVisibleText { emit(.code(code)) }
        case .htmlBlock:
            let h1 = MarkdownHTMLBlock.read(node.literal, into: &builder, pendingAnchor: &pendingAnchor)
            if firstH1 == nil { firstH1 = h1 }
        case .table:
            table = ([], [])
        case .tableRow:
            row = []
        default:
            inline?.enter(node, kind)
        }
    }

    private mutating func exit(_ node: MarkdownNode, _ kind: MarkdownNode.Kind) {
        switch kind {
        case .paragraph:
            endParagraph()
        case .heading:
            endHeading(level: node.headingLevel)
        case .tableCell:
            row.append(inline?.text ?? "")
            inline = nil
        case .tableRow:
            if node.isTableHeader { table?.header = row } else { table?.rows.append(row) }
        case .table:
            endTable()
        case .item:
            pendingMarker = nil
        case .list:
            lists.removeLast()
        default:
            inline?.exit(node, kind)
        }
    }

    // MARK: - Emitting

    private mutating func endParagraph() {
        guard let paragraph = inline else { return }
        inline = nil
        // `<a name="x"></a>` alone, or before the text: the anchor of this paragraph, or of
        // whatever follows when the paragraph has no text.
        if paragraph.anchorLeads, let anchor = paragraph.anchor { pendingAnchor = anchor }
        let text = paragraph.text
        guard !text.isEmpty else { return }
        if let marker = pendingMarker {
            pendingMarker = nil
            emit(.listItem(marker + text))
        } else {
            emit(.paragraph(text))
        }
    }

    private mutating func endHeading(level: Int) {
        guard let heading = inline else { return }
        inline = nil
        let (title, id) = Self.splitHeadingID(heading.text)
        let anchor = id ?? heading.anchor ?? pendingAnchor
        pendingAnchor = nil
        guard !title.isEmpty else { return }
        if level == 1, firstH1 == nil { firstH1 = title }
        builder.startHeading(level: level, title: title, anchor: anchor)
    }

    /// A table without data rows reads as one paragraph of its header cells.
    private mutating func endTable() {
        guard let open = table else { return }
        table = nil
        let rows = open.rows.filter { $0.contains { !$0.isEmpty } }
        if rows.isEmpty {
            let text = open.header.filter { !$0.isEmpty }.joined(separator: " | ")
            if !text.isEmpty { emit(.paragraph(text)) }
        } else {
            emit(.table(Table(header: open.header, rows: rows)))
        }
    }

    private mutating func emit(_ block: Block) {
        if let anchor = pendingAnchor {
            pendingAnchor = nil
            builder.startAnchor(anchor)
        }
        builder.append(block)
    }

    /// Splits a heading attribute off a title: `Use {#usage}` is titled "Use" with anchor
    /// "usage" (the Pandoc, kramdown and Python-Markdown convention, not CommonMark's, kept
    /// from the hand-written reader). A malformed id (`{#two words}`) is dropped with no anchor.
    static func splitHeadingID(_ title: String) -> (title: String, id: String?) {
        guard title.hasSuffix("}"), let open = title.range(of: "{#", options: .backwards) else { return (title, nil) }
        let id = title[open.upperBound..<title.index(before: title.endIndex)]
        let rest = title[..<open.lowerBound].collapsingWhitespace
        return (rest, !id.isEmpty && !id.contains(" ") ? String(id) : nil)
    }
}
