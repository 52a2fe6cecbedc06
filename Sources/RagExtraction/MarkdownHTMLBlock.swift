import CLibXML2
import RagCore

/// Reads an HTML block of a Markdown file (`<div align="center">…</div>`, `<details>`, a
/// `<table>`, a comment) with the HTML extractor's parser and walker, so its text, headings
/// and tables come out as in an HTML page and no tag reaches the text.
///
/// CommonMark ends an HTML block at a blank line, so one element is often split over several
/// blocks with Markdown between them (`<details>`, blank line, Markdown, `</details>`); each
/// block is read on its own, which libxml2's error recovery makes harmless (an end tag alone
/// reads as nothing).
enum MarkdownHTMLBlock {
    /// Reads `html` into `builder`; see `HTMLContentWalker.read(below:into:pendingAnchor:)`.
    /// Returns the text of the block's first `<h1>`, if any.
    static func read(_ html: String, into builder: inout SectionBuilder, pendingAnchor: inout String?) -> String? {
        _ = HTMLExtractor.libxml2Ready
        let bytes = Array(html.utf8)
        guard bytes.count < Int32.max else { return nil }
        let parsed: htmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                htmlReadMemory(chars.baseAddress, Int32(chars.count), nil, "UTF-8", HTMLExtractor.parseOptions)
            }
        }
        guard let document = parsed else { return nil }
        defer { xmlFreeDoc(document) }
        guard let root = HTMLNode(xmlDocGetRootElement(document)) else { return nil }
        return HTMLContentWalker.read(below: root, into: &builder, pendingAnchor: &pendingAnchor)
    }
}
