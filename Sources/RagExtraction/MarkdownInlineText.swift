/// The plain text of one paragraph's, heading's or table cell's inline nodes: what a reader
/// sees, so that searches and evidence quotes match the prose rather than its syntax.
///
/// Text and code spans keep their characters, links their text, images their alt text;
/// line breaks become spaces (collapsed at the end, like every extractor's text). HTML tags
/// are dropped, except tags that are no HTML element (see `MarkdownHTMLTag`).
struct MarkdownInlineText {
    private var raw = ""
    /// The id of the first `<a name>`/`<a id>` tag among the inlines, if any.
    private(set) var anchor: String?
    /// Whether that tag comes before any text (`<a name="x"></a>` on the line above a
    /// paragraph's text, which CommonMark reads as part of the paragraph): the paragraph is
    /// then the anchor's target; a tag further in only marks a spot inside it.
    private(set) var anchorLeads = false

    /// The text with whitespace collapsed.
    var text: String { raw.collapsingWhitespace }

    mutating func enter(_ node: MarkdownNode, _ kind: MarkdownNode.Kind) {
        switch kind {
        case .text, .code:
            raw += node.literal
        case .softBreak, .lineBreak:
            raw += " "
        case .htmlInline:
            let tag = node.literal
            if anchor == nil, let id = MarkdownHTMLTag.anchor(in: tag) {
                anchor = id
                anchorLeads = !raw.hasVisibleText
            }
            if MarkdownHTMLTag.isLineBreak(tag) {
                raw += " "
            } else if !MarkdownHTMLTag.isMarkup(tag) {
                raw += tag
            }
        case .emphasis, .strong:
            raw += Self.intrawordDelimiter(node, kind)
        default:
            break
        }
    }

    mutating func exit(_ node: MarkdownNode, _ kind: MarkdownNode.Kind) {
        if kind == .emphasis || kind == .strong { raw += Self.intrawordDelimiter(node, kind) }
    }

    /// The asterisks of emphasis between two letters or digits (`2*3*4`, `a**b**c`), which
    /// CommonMark reads as emphasis but technical text almost always means literally
    /// (arithmetic, globs, pointer types); "" for any other emphasis. Kept from the
    /// hand-written reader, which never opened emphasis inside a word. Only `*` can make
    /// such emphasis (CommonMark never opens or closes `_` inside a word), so the delimiter
    /// is known from the node type.
    private static func intrawordDelimiter(_ node: MarkdownNode, _ kind: MarkdownNode.Kind) -> String {
        guard let before = node.previous, before.kind == .text, before.literal.last?.isAlphanumeric == true,
              let after = node.next, after.kind == .text, after.literal.first?.isAlphanumeric == true
        else { return "" }
        return kind == .strong ? "**" : "*"
    }
}

private extension Character {
    var isAlphanumeric: Bool { isLetter || isNumber }
}
