import RagCore

/// Extracts plain text and Markdown files.
///
/// Plain text: paragraphs at blank lines, lines joined and whitespace collapsed; a paragraph
/// whose every line is indented by four spaces or a tab keeps its layout as a code block.
/// Markdown: see `MarkdownReader` (parsed by libcmark-gfm; headings as section paths, fenced
/// and indented code, list items, GFM tables; inline markup reduced to its text).
///
/// Stateless and safe to use from several threads at once.
public struct TextExtractor: Sendable {
    public init() {}

    /// Decodes `bytes` (BOM, UTF-8, UTF-16 or windows-1252; see `TextDecoding`) and extracts
    /// them as `format`, which must be `.text` or `.markdown` (anything else reads as text).
    /// Throws `.corrupt` for binary data.
    public func extract(bytes: [UInt8], as format: DocumentFormat) throws(ExtractionError) -> ExtractedDocument {
        if TextDecoding.looksBinary(bytes) {
            throw .corrupt(reason: "binary data, not text")
        }
        return extract(text: TextDecoding.decode(bytes), as: format)
    }

    /// Extracts already-decoded text.
    public func extract(text: String, as format: DocumentFormat) -> ExtractedDocument {
        let lines = Self.lines(of: text)
        if format == .markdown { return MarkdownReader.read(lines) }
        return ExtractedDocument(format: .text, sections: Self.plainSections(lines))
    }

    /// Splits at LF, CRLF and CR, dropping NULs and a leading BOM.
    static func lines(of text: String) -> [Substring] {
        var text = text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        if text.contains("\0") { text = String(text.unicodeScalars.filter { $0.value != 0 }.map(Character.init)) }
        // Swift treats "\r\n" as one Character, so splitting on Character.isNewline covers all three.
        return text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
    }

    static func plainSections(_ lines: [Substring]) -> [Section] {
        var blocks: [Block] = []
        var paragraph: [Substring] = []
        func flush() {
            guard !paragraph.isEmpty else { return }
            if paragraph.allSatisfy({ $0.hasPrefix("    ") || $0.hasPrefix("\t") }) {
                let code = paragraph.map { String($0.hasPrefix("\t") ? $0.dropFirst() : $0.dropFirst(4)).trimmingTrailingWhitespace }
                    .joined(separator: "\n")
                blocks.append(.code(code))
            } else {
                blocks.append(.paragraph(paragraph.joined(separator: " ").collapsingWhitespace))
            }
            paragraph.removeAll()
        }
        for line in lines {
            if line.hasVisibleText { paragraph.append(line) } else { flush() }
        }
        flush()
        return blocks.isEmpty ? [] : [Section(blocks: blocks)]
    }
}
