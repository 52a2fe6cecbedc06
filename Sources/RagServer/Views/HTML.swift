import Foundation
import HTTPTypes
import Hummingbird

/// HTML escaping and responses. Every piece of text that did not come from this file goes
/// through `escape` — document text, titles, questions and answers included.
enum HTML {
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

    /// A page: HTML, never cached (pages hold a user's questions and documents). The security
    /// headers come from ``SecurityHeadersMiddleware``.
    static func response(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}

extension HTTPField.Name {
    static let xCSRFToken = HTTPField.Name("X-CSRF-Token")!
}

/// The page frame: header with navigation for the user's role, main content, the scripts.
enum Layout {
    static func page(title: String, identity: Identity?, body: String) -> String {
        var nav = ""
        if let identity {
            var links = ["<a href=\"/\">Ask</a>", "<a href=\"/history\">My history</a>"]
            if identity.role == .admin { links.append("<a href=\"/admin\">Admin</a>") }
            if identity.role == .auditor { links.append("<a href=\"/audit\">Audit</a>") }
            let csrf = identity.csrfToken.map { "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape($0))\">" } ?? ""
            nav = """
                <nav aria-label="Main">\(links.joined(separator: " "))
                <form method="post" action="/logout" class="inline">\(csrf)<button type="submit">Sign out \(HTML.escape(identity.name))</button></form>
                </nav>
                """
        }
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · ragd</title>
            <link rel="stylesheet" href="/static/app.css">
            <script src="/static/app.js" defer></script>
            </head>
            <body>
            <header><a class="brand" href="/">ragd</a>\(nav)</header>
            <main id="main">
            \(body)
            </main>
            </body>
            </html>
            """
    }

    static func csrfField(_ identity: Identity?) -> String {
        identity?.csrfToken.map { "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape($0))\">" } ?? ""
    }
}
