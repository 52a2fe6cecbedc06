import CLibXML2
import Foundation
import RagCore

/// Extracts the main text of an HTML page with libxml2's error-tolerant HTML parser.
///
/// Keeps: the heading hierarchy (as section paths) with element ids as anchors, paragraphs,
/// list items, `<pre>` code and data tables with their headers. Drops: scripts, styles,
/// forms, navigation, banners and footers, sidebars and hidden elements. If the page marks
/// its main content (`<main>`, `role=main`, or a single `<article>`), only that is read.
///
/// Never touches the network and never loads external entities or DTDs. Safe to use from
/// several threads at once: libxml2 is initialised once and each call parses its own
/// document; no state is shared.
public struct HTMLExtractor: Sendable {
    public init() {}

    /// libxml2 needs one global initialisation before threads use it; a static let runs it
    /// exactly once, thread-safely.
    static let libxml2Ready: Void = xmlInitParser()

    /// HTML_PARSE_RECOVER | NONET | NOERROR | NOWARNING | HUGE, and not NOBLANKS (it deletes
    /// the whitespace-only text nodes between inline elements, gluing words together).
    ///
    /// HUGE is needed: without it libxml2 2.9 stops at 256 levels of nesting and returns a
    /// tree with *no* content (a page of 300 nested divs came out empty), and it cuts text
    /// nodes at 10 MB. With it, 300,000 levels parse in a fraction of a second; everything
    /// that walks the tree here is iterative, so depth costs no stack. The HTML parser loads
    /// no DTDs or entities, so HUGE does not open an entity-expansion hole.
    static let parseOptions = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue
        | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue | XML_PARSE_HUGE.rawValue)

    /// Extracts a page from its raw bytes (any encoding; see `HTMLCharset`).
    ///
    /// Throws `.corrupt` for binary data and for input libxml2 cannot make a tree of, and
    /// `.unreadable` for input above 2 GiB (libxml2's limit). A page with no text returns a
    /// document without sections.
    public func extract(bytes: [UInt8]) throws(ExtractionError) -> ExtractedDocument {
        if TextDecoding.looksBinary(bytes) {
            throw .corrupt(reason: "binary data, not HTML")
        }
        _ = Self.libxml2Ready // Before any libxml2 call, including the charset lookup.
        let prepared = HTMLCharset.prepare(bytes)
        guard prepared.bytes.count < Int32.max else {
            throw .unreadable(reason: "HTML file is larger than 2 GiB")
        }
        let hasContent = prepared.bytes.contains { $0 > 0x20 }
        guard hasContent else { return ExtractedDocument(format: .html, sections: []) }

        xmlResetLastError()
        let parsed: htmlDocPtr? = prepared.bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                htmlReadMemory(chars.baseAddress, Int32(chars.count), nil, prepared.encoding, Self.parseOptions)
            }
        }
        guard let document = parsed else {
            // Under a memory limit (IsolatedExtractor) a large page fails here with no memory.
            if let last = xmlGetLastError(), last.pointee.code == Int32(XML_ERR_NO_MEMORY.rawValue) {
                throw .tooLarge(limitMB: 0)
            }
            throw .corrupt(reason: "libxml2 could not parse the HTML")
        }
        defer { xmlFreeDoc(document) }
        guard let root = HTMLNode(xmlDocGetRootElement(document)) else {
            return ExtractedDocument(format: .html, sections: [])
        }
        return Self.read(root)
    }

    /// Reads a parsed page: title, content region, sections.
    static func read(_ root: HTMLNode) -> ExtractedDocument {
        let title = titleElementText(root)
        let (content, isContent) = contentRoot(of: root)
        let (sections, firstH1) = HTMLContentWalker.sections(below: content, rootIsContent: isContent)
        return ExtractedDocument(format: .html, title: title ?? firstH1, sections: sections)
    }

    /// The text of `<title>` in `<head>`, if not empty.
    static func titleElementText(_ root: HTMLNode) -> String? {
        for head in root.children where head.isElement && head.name == "head" {
            for title in head.children where title.isElement && title.name == "title" {
                let text = HTMLInlineText.of(title)
                return text.isEmpty ? nil : text
            }
        }
        return nil
    }

    /// The element to read: the page's `<main>` (or `role=main`), else its only `<article>`,
    /// else `<body>` (or the root). The flag says whether it is a content region, in which
    /// `header`/`footer` are kept.
    static func contentRoot(of root: HTMLNode) -> (HTMLNode, Bool) {
        var finder = MainContentFinder()
        root.walkDescendants(&finder)
        if let main = finder.main { return (main, true) }
        if finder.articles.count == 1, let article = finder.articles.first { return (article, true) }
        let body = root.children.first { $0.isElement && $0.name == "body" }
        return (body ?? root, false)
    }

    private struct MainContentFinder: HTMLVisitor {
        var main: HTMLNode?
        var articles: [HTMLNode] = []

        mutating func enter(_ node: HTMLNode) -> Bool {
            guard main == nil, node.isElement else { return false }
            let name = node.name
            if node.isDropped(name, insideContent: false) { return false }
            if name == "main" || node.attribute("role")?.lowercased() == "main" {
                main = node
                return false
            }
            if name == "article" {
                articles.append(node)
                return false // Nested articles (comments) do not count.
            }
            return true
        }

        mutating func exit(_ node: HTMLNode) {}
    }
}
