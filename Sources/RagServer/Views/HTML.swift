import Foundation
import HTTPTypes
import Hummingbird

/// HTML escaping and redirects. Pages come from templates (``Views``), which escape through
/// ``escape(_:)``; Swift code that builds HTML itself (``CitationLinks``) escapes with it too.
enum HTML {
    /// `text` with `& < > " '` replaced by entities, scalar by scalar (see ``HTMLEscaping``
    /// for why not by `Character`).
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}

extension HTTPField.Name {
    static let xCSRFToken = HTTPField.Name("X-CSRF-Token")!
}
