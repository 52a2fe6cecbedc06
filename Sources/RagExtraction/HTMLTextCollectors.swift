import Foundation

/// The text of an element's subtree as one line: for headings, table cells and captions.
///
/// Inline elements add nothing, so `<b>SQLITE</b>_MAX` reads `SQLITE_MAX`; block elements and
/// `<br>` add a space, so `<td>a<br>b</td>` reads `a b`. Whitespace is collapsed at the end.
struct HTMLInlineText: HTMLVisitor {
    private var text = ""
    private var contentDepth: Int

    /// The collapsed text below `node`; `insideContent` as in `HTMLNode.isDropped`.
    static func of(_ node: HTMLNode, insideContent: Bool = true) -> String {
        var collector = HTMLInlineText(contentDepth: insideContent ? 1 : 0)
        node.walkDescendants(&collector)
        return collector.text.collapsingWhitespace
    }

    /// The collapsed text of a run of sibling nodes (text nodes and elements alike).
    static func of(nodes: some Sequence<HTMLNode>) -> String {
        var collector = HTMLInlineText(contentDepth: 1)
        for node in nodes {
            if collector.enter(node) {
                node.walkDescendants(&collector)
                collector.exit(node)
            }
        }
        return collector.text.collapsingWhitespace
    }

    private init(contentDepth: Int) { self.contentDepth = contentDepth }

    mutating func enter(_ node: HTMLNode) -> Bool {
        if let content = node.text {
            text += content
            return false
        }
        guard node.isElement else { return false }
        let name = node.name
        if node.isDropped(name, insideContent: contentDepth > 0) { return false }
        if name == "br" || name == "hr" || HTMLVocabulary.blocks.contains(name) { text += " " }
        return true
    }

    mutating func exit(_ node: HTMLNode) {
        if HTMLVocabulary.blocks.contains(node.name) { text += " " }
    }
}

/// The text of a `<pre>` (or `<listing>`, `<xmp>`) subtree with its line breaks and
/// indentation kept: `<br>` becomes a newline, CRLF becomes LF, leading and trailing blank
/// lines go, and NULs are removed.
struct HTMLPreformattedText: HTMLVisitor {
    private var text = ""

    static func of(_ node: HTMLNode) -> String {
        var collector = HTMLPreformattedText()
        node.walkDescendants(&collector)
        return tidy(collector.text)
    }

    mutating func enter(_ node: HTMLNode) -> Bool {
        if let content = node.text {
            text += content
            return false
        }
        guard node.isElement else { return false }
        let name = node.name
        if node.isDropped(name, insideContent: true) { return false }
        if name == "br" { text += "\n" }
        return true
    }

    mutating func exit(_ node: HTMLNode) {}

    /// Normalises line ends and trims blank lines and trailing spaces; keeps inner indentation.
    static func tidy(_ raw: String) -> String {
        let unified = raw.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines = unified.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.unicodeScalars.filter { $0.value != 0 }).trimmingTrailingWhitespace
        }
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}

extension StringProtocol {
    /// The string without trailing whitespace.
    var trimmingTrailingWhitespace: String {
        var scalars = unicodeScalars[...]
        while let last = scalars.last, last.isCollapsibleWhitespace { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
