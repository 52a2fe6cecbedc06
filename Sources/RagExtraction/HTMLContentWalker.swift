import CLibXML2
import Foundation
import RagCore

/// Turns the content region of a parsed HTML page into sections of blocks.
///
/// Text accumulates into the current paragraph until a block element starts or ends; inline
/// elements contribute only their text, so words split by markup stay whole. Headings open
/// sections, anchors between blocks open sections with the same path, lists become list
/// items with markers, tables become `Block.table` and `<pre>` becomes `Block.code`.
struct HTMLContentWalker: HTMLVisitor {
    private var builder = SectionBuilder()
    private var paragraph = ""
    private var paragraphHasText = false
    /// The marker ("- ", "3. ") for the next text of the list item being read.
    private var pendingMarker: String?
    private var lists: [ListState] = []
    /// An anchor seen between blocks, waiting for the block or heading it names.
    private var pendingAnchor: String?
    /// How many `article`/`main`/`section` elements enclose the current node.
    private var contentDepth: Int
    /// The text of the first `<h1>`, the title of a page without `<title>`.
    private(set) var firstH1: String?
    /// Children of `parent` before `first` were already read as a heading's title and are
    /// skipped; see `readHeading`.
    private var skipBefore: (parent: xmlNodePtr, first: xmlNodePtr)?

    /// Longer "headings" are unclosed heading tags that swallowed text; they read as paragraphs.
    static let maxHeadingLength = 300

    private struct ListState {
        var ordered: Bool
        var next: Int
    }

    /// Reads everything below `root`. `rootIsContent` says whether `root` is (or is inside)
    /// an `article`/`main`/`section`, where `header`/`footer` are content.
    static func sections(below root: HTMLNode, rootIsContent: Bool) -> (sections: [Section], firstH1: String?) {
        var walker = HTMLContentWalker(contentDepth: rootIsContent ? 1 : 0)
        root.walkDescendants(&walker)
        walker.flushParagraph()
        return (walker.builder.finish(), walker.firstH1)
    }

    /// Reads an HTML fragment that is part of another document (a Markdown file's HTML
    /// blocks) into that document's `builder`: its headings continue the section path, its
    /// blocks join the current section. `pendingAnchor` is the anchor waiting for the next
    /// block, handed in and back. Returns the text of the fragment's first `<h1>`, if any.
    static func read(below root: HTMLNode, into builder: inout SectionBuilder, pendingAnchor: inout String?) -> String? {
        var walker = HTMLContentWalker(contentDepth: 1)
        // Swapped, not copied, so the sections read so far are never duplicated.
        swap(&walker.builder, &builder)
        walker.pendingAnchor = pendingAnchor
        root.walkDescendants(&walker)
        walker.flushParagraph()
        swap(&walker.builder, &builder)
        pendingAnchor = walker.pendingAnchor
        return walker.firstH1
    }

    private init(contentDepth: Int) { self.contentDepth = contentDepth }

    mutating func enter(_ node: HTMLNode) -> Bool {
        if let skip = skipBefore, node.pointer.pointee.parent == skip.parent {
            guard node.pointer == skip.first else { return false }
            skipBefore = nil
        }
        if let text = node.text {
            paragraph += text
            if !paragraphHasText, text.hasVisibleText { paragraphHasText = true }
            return false
        }
        guard node.isElement else { return false }
        let name = node.name
        if node.isDropped(name, insideContent: contentDepth > 0) { return false }
        if let level = HTMLVocabulary.headingLevel(name) {
            return readHeading(node, level: level)
        }
        switch name {
        case "br":
            paragraph += "\n"
            return false
        case "hr":
            flushParagraph()
            return false
        case "img", "wbr":
            return false
        case "pre", "listing", "xmp", "plaintext":
            flushParagraph()
            noteAnchor(of: node)
            let code = HTMLPreformattedText.of(node)
            if code.hasVisibleText { emit(.code(code)) }
            return false
        case "table":
            flushParagraph()
            noteAnchor(of: node)
            if let table = HTMLTableReader.read(node) {
                emit(.table(table))
                return false
            }
            return true // A layout table: read its cells as blocks.
        case "dt":
            // A definition term opens its item's section; the description (`dd`) follows as
            // its blocks, so the term and what it means stay one unit.
            flushParagraph()
            let term = HTMLInlineText.of(node)
            guard !term.isEmpty else { return false }
            let anchor = Self.anchor(of: node) ?? Self.innerAnchor(of: node) ?? pendingAnchor
            pendingAnchor = nil
            if term.count > Self.maxHeadingLength {
                emit(.paragraph(term))
            } else {
                builder.startTerm(term, anchor: anchor)
            }
            return false
        case "ul", "ol", "menu", "dir":
            flushParagraph()
            let start = node.attribute("start").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 1
            lists.append(ListState(ordered: name == "ol", next: start))
            return true
        case "li":
            flushParagraph()
            var marker = "- "
            if let index = lists.indices.last, lists[index].ordered {
                if let value = node.attribute("value").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                    lists[index].next = value
                }
                marker = "\(lists[index].next). "
                lists[index].next += 1
            }
            pendingMarker = marker
            return true
        default:
            if HTMLVocabulary.sectioning.contains(name) { contentDepth += 1 }
            if HTMLVocabulary.blocks.contains(name) {
                flushParagraph()
                noteAnchor(of: node)
            } else if name == "a", Self.anchor(of: node) != nil {
                // `<a name="x"></a>` before a heading or a block is a link target. Inside a
                // paragraph a pure target (no href) counts only after a sentence end: old
                // HTML leaves <p> open, so the target of the next item often sits at the end
                // of the previous one.
                if paragraphHasText, paragraph.endsSentence, !node.hasAttribute("href") { flushParagraph() }
                if !paragraphHasText { noteAnchor(of: node) }
            }
            return true
        }
    }

    mutating func exit(_ node: HTMLNode) {
        let name = node.name
        if HTMLVocabulary.sectioning.contains(name) { contentDepth -= 1 }
        switch name {
        case "ul", "ol", "menu", "dir":
            flushParagraph()
            if !lists.isEmpty { lists.removeLast() }
        case "li":
            flushParagraph()
            pendingMarker = nil
        case "dl":
            flushParagraph()
            builder.endTerms()
        default:
            if HTMLVocabulary.blocks.contains(name) { flushParagraph() }
        }
    }

    /// Opens a section for `<hN>`. Its anchor is the heading's own id, else an id or name
    /// inside it, else the anchor just before it. Returns whether to walk the heading's
    /// children: only when it holds blocks, which happens when libxml2 leaves a heading open
    /// (`<h2>Title</h1>` swallows the rest of the page): then the inline text before the first
    /// block is the title and everything from that block on is read as content.
    private mutating func readHeading(_ node: HTMLNode, level: Int) -> Bool {
        flushParagraph()
        let firstBlock = node.children.first { $0.isElement && Self.isOrHoldsBlock($0) }
        let titleNodes = node.children.prefix { $0.pointer != firstBlock?.pointer }
        let title = HTMLInlineText.of(nodes: titleNodes)
        let anchor = Self.anchor(of: node) ?? Self.innerAnchor(of: node) ?? pendingAnchor
        pendingAnchor = nil
        if let firstBlock { skipBefore = (node.pointer, firstBlock.pointer) }
        if title.isEmpty {
            pendingAnchor = anchor
        } else if title.count > Self.maxHeadingLength {
            pendingAnchor = anchor
            emit(.paragraph(title))
        } else {
            if level == 1, firstH1 == nil { firstH1 = title }
            builder.startHeading(level: level, title: title, anchor: anchor)
        }
        return firstBlock != nil
    }

    /// Whether an element is a block or contains one (a `<var>` wrapping a `<ul>`).
    private static func isOrHoldsBlock(_ node: HTMLNode) -> Bool {
        if HTMLVocabulary.blocks.contains(node.name) { return true }
        var probe = BlockProbe()
        node.walkDescendants(&probe)
        return probe.found
    }

    private struct BlockProbe: HTMLVisitor {
        var found = false
        mutating func enter(_ node: HTMLNode) -> Bool {
            guard !found, node.isElement else { return false }
            found = HTMLVocabulary.blocks.contains(node.name)
            return !found
        }
        mutating func exit(_ node: HTMLNode) {}
    }

    /// Remembers the element's id (or `<a name>`) as the anchor of the next block, when it is
    /// a pure link target (`a`) or a container that commonly names what follows.
    private mutating func noteAnchor(of node: HTMLNode) {
        guard pendingAnchor == nil else { return }
        let name = node.name
        guard name == "a" || name == "section" || name == "article" || name == "dt" || name == "table" || name == "pre"
        else { return }
        pendingAnchor = Self.anchor(of: node)
    }

    private static func anchor(of node: HTMLNode) -> String? {
        let value = node.attribute("id") ?? (node.name == "a" ? node.attribute("name") : nil)
        guard let value = value?.collapsingWhitespace, !value.isEmpty else { return nil }
        return value
    }

    /// The first id or `<a name>` inside a heading (`<h2><a name="x">Title</a></h2>`).
    private static func innerAnchor(of heading: HTMLNode) -> String? {
        var finder = AnchorFinder()
        heading.walkDescendants(&finder)
        return finder.anchor
    }

    private struct AnchorFinder: HTMLVisitor {
        var anchor: String?
        mutating func enter(_ node: HTMLNode) -> Bool {
            guard anchor == nil, node.isElement else { return false }
            anchor = HTMLContentWalker.anchor(of: node)
            return anchor == nil
        }
        mutating func exit(_ node: HTMLNode) {}
    }

    /// Ends the current paragraph: emits it as a list item if a marker is waiting, else as a
    /// paragraph. Whitespace-only text is discarded (and a waiting marker keeps waiting).
    private mutating func flushParagraph() {
        defer {
            paragraph.removeAll(keepingCapacity: true)
            paragraphHasText = false
        }
        guard paragraphHasText else { return }
        let text = paragraph.collapsingWhitespace
        if let marker = pendingMarker {
            pendingMarker = nil
            emit(.listItem(marker + text))
        } else {
            emit(.paragraph(text))
        }
    }

    private mutating func emit(_ block: Block) {
        if let anchor = pendingAnchor {
            pendingAnchor = nil
            builder.startAnchor(anchor)
        }
        builder.append(block)
    }
}

extension String {
    /// Whether the text, ignoring trailing whitespace, ends a sentence or clause.
    var endsSentence: Bool {
        guard let last = unicodeScalars.last(where: { !$0.isCollapsibleWhitespace }) else { return false }
        return ".!?:;)".unicodeScalars.contains(last)
    }
}
