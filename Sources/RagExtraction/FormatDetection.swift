import Foundation
import RagCore

/// Deciding what kind of document a file is, from its name and its first bytes.
///
/// Content beats the name where the content is unambiguous (a `%PDF-` header, an HTML
/// doctype), because files get misnamed; the name decides the rest, because text formats
/// cannot be told apart reliably by content (Markdown is also plain text).
enum FormatDetection {
    static let pdfExtensions: Set<String> = ["pdf"]
    static let htmlExtensions: Set<String> = ["html", "htm", "xhtml", "shtml"]
    static let markdownExtensions: Set<String> = ["md", "markdown", "mdown", "mkd", "mkdn"]
    static let textExtensions: Set<String> = ["txt", "text", "rst"]

    /// How many leading bytes `DocumentExtractor` reads to sniff a format.
    static let sniffLength = 4096

    static func format(of url: URL, prefix: [UInt8]) -> DocumentFormat? {
        if hasPDFHeader(prefix) { return .pdf }
        let ext = url.pathExtension.lowercased()
        if pdfExtensions.contains(ext) { return .pdf }
        if htmlExtensions.contains(ext) { return .html }
        if markdownExtensions.contains(ext) { return .markdown }
        if textExtensions.contains(ext) { return .text }
        if looksLikeHTML(prefix) { return .html }
        // A file without an extension (README, NOTES) is text if it is not binary.
        if ext.isEmpty, !prefix.isEmpty, !TextDecoding.looksBinary(prefix) { return .text }
        return nil
    }

    /// `%PDF-` within the first 1024 bytes, where PDF readers (poppler included) look for it.
    static func hasPDFHeader(_ bytes: [UInt8]) -> Bool {
        let magic: [UInt8] = Array("%PDF-".utf8)
        let window = bytes.prefix(1024)
        guard window.count >= magic.count else { return false }
        var index = window.startIndex
        while index + magic.count <= window.endIndex {
            if window[index] == 0x25, window[index..<index + magic.count].elementsEqual(magic) { return true }
            index += 1
        }
        return false
    }

    /// An HTML doctype or an `<html>`/`<head>`/`<body>` tag near the start, in any Unicode form.
    static func looksLikeHTML(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty, !TextDecoding.looksBinary(bytes) else { return false }
        let head = TextDecoding.decode(Array(bytes.prefix(1024))).lowercased()
        let start = head.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        if start.hasPrefix("<!doctype html") || start.hasPrefix("<html") { return true }
        return start.hasPrefix("<") && (head.contains("<html") || head.contains("<head") || head.contains("<body"))
    }
}
