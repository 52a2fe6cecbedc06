import CLibXML2
import Foundation

/// Kept hand-written on purpose: libxml2's own detection guesses differently from browsers
/// (it trusts a wrong `<meta>` and reads ISO-8859-1 literally), and no library on the
/// registries applies the browsers' order. It is small and tested against real pages.
///
/// Works out the character encoding of an HTML file before libxml2 sees it, and hands
/// libxml2 either UTF-8 or an encoding it knows, always named explicitly (so a wrong or
/// missing `<meta charset>` cannot make libxml2 guess).
///
/// Order, as browsers do it: a byte order mark; then BOM-less UTF-16; then a declaration in
/// the first 4 KiB (`<meta charset>`, `<meta http-equiv="Content-Type" content="...;
/// charset=...">`, `<?xml encoding=...?>`); then UTF-8 if the bytes are valid UTF-8; else
/// windows-1252. "ISO-8859-1" and "US-ASCII" are read as windows-1252, as browsers do, since
/// pages declaring them routinely contain Windows quotes and dashes. A page that declares
/// UTF-8 but is not valid UTF-8 keeps its declaration and gets U+FFFD for the bad bytes.
enum HTMLCharset {
    /// How far into the file a declaration is looked for.
    static let prescanLength = 4096

    /// Input for `htmlReadMemory`: bytes plus the name of their encoding.
    struct Prepared {
        var bytes: [UInt8]
        var encoding: String
    }

    static func prepare(_ bytes: [UInt8]) -> Prepared {
        if let (form, length) = TextDecoding.byteOrderMark(of: bytes) {
            return utf8(TextDecoding.decode(bytes[length...], as: form))
        }
        if let form = TextDecoding.bomlessUTF16(bytes) {
            return utf8(TextDecoding.decode(bytes[...], as: form))
        }
        if let declared = declaredCharset(in: bytes.prefix(prescanLength)) {
            switch family(of: declared) {
            case .utf8:
                if String(validating: bytes, as: UTF8.self) != nil { return Prepared(bytes: bytes, encoding: "UTF-8") }
                return utf8(String(decoding: bytes, as: UTF8.self))
            case .latin1:
                return utf8(TextDecoding.windows1252(bytes[...]))
            case .other where libxml2Knows(declared):
                return Prepared(bytes: bytes, encoding: declared)
            case .other:
                break // Unknown name: fall back to sniffing.
            }
        }
        if String(validating: bytes, as: UTF8.self) != nil { return Prepared(bytes: bytes, encoding: "UTF-8") }
        return utf8(TextDecoding.windows1252(bytes[...]))
    }

    private static func utf8(_ text: String) -> Prepared {
        Prepared(bytes: Array(text.utf8), encoding: "UTF-8")
    }

    enum Family { case utf8, latin1, other }

    static func family(of name: String) -> Family {
        switch name.lowercased() {
        // A UTF-16 declaration readable as ASCII is false: the file is not UTF-16.
        case "utf-8", "utf8", "unicode-1-1-utf-8", "utf-16", "utf-16le", "utf-16be", "unicode", "ucs-2":
            return .utf8
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819",
             "us-ascii", "ascii", "ansi_x3.4-1968", "windows-1252", "cp1252", "x-cp1252":
            return .latin1
        default:
            return .other
        }
    }

    /// Whether libxml2 (through iconv) can decode `name`.
    static func libxml2Knows(_ name: String) -> Bool {
        guard let handler = xmlFindCharEncodingHandler(name) else { return false }
        xmlCharEncCloseFunc(handler)
        return true
    }

    /// The charset named by the first `<meta>` that names one, or by an XML declaration.
    static func declaredCharset(in bytes: ArraySlice<UInt8>) -> String? {
        // Lowercased ASCII view; other bytes cannot be part of a declaration.
        let text = String(decoding: bytes.map { $0 < 0x80 ? $0 : 0x20 }, as: UTF8.self).lowercased()
        var searchStart = text.startIndex
        while let open = text.range(of: "<meta", range: searchStart..<text.endIndex) {
            let tagEnd = text.range(of: ">", range: open.upperBound..<text.endIndex)?.lowerBound ?? text.endIndex
            if let value = value(after: "charset", in: text[open.upperBound..<tagEnd]) { return value }
            searchStart = tagEnd
        }
        let start = text.drop { $0.isWhitespace }
        if start.hasPrefix("<?xml"), let end = start.range(of: "?>") {
            return value(after: "encoding", in: start[..<end.lowerBound])
        }
        return nil
    }

    /// The token after `key`, an optional `=`, spaces and an optional quote.
    private static func value(after key: String, in tag: Substring) -> String? {
        guard let keyRange = tag.range(of: key) else { return nil }
        var rest = tag[keyRange.upperBound...].drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\"" || $0 == "'" }
        let name = rest.prefix { $0.isLetter || $0.isNumber || "-_.:".contains($0) }
        return name.isEmpty ? nil : String(name)
    }
}
