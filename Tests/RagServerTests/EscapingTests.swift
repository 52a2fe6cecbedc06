import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RagAudit
import RagServer
import RagStore
import RagTesting
import Testing

/// Values that people type or files carry are text on every page that shows them: the
/// templates escape by default, so a question or a document title full of markup shows as
/// that markup, and no quote ends an attribute early.
@Suite(.serialized) struct EscapingTests {
    /// Markup, an attribute break-out, and quotes followed by a combining mark: one grapheme
    /// that is not `"` to Swift's `Character`, but a quote to the browser.
    static let hostile = "<script>alert(1)</script> \"><img src=x onerror=alert(2)> "
        + "x\"\u{301} onfocus=alert(3) autofocus y='\u{301} onmouseover=alert(4)"

    /// Whether `html` holds `piece`, compared as bytes (Swift's `String.contains` compares
    /// graphemes, which is the mistake under test).
    static func holds(_ html: String, _ piece: String) -> Bool {
        Data(html.utf8).range(of: Data(piece.utf8)) != nil
    }

    static func expectInert(_ html: String, _ page: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for raw in ["<script>alert(1)", "<img src=x", "\"\u{301}", "'\u{301}"] {
            #expect(!holds(html, raw), "\(page) shows \(raw.debugDescription) unescaped", sourceLocation: sourceLocation)
        }
        for escaped in ["&lt;script&gt;alert(1)&lt;/script&gt;", "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;", "&quot;\u{301} onfocus",
                        "&#39;\u{301} onmouseover"] {
            #expect(holds(html, escaped), "\(page) shows \(escaped.debugDescription) as text", sourceLocation: sourceLocation)
        }
    }

    @Test func aHostileQuestionIsTextOnTheAskHistoryAndAuditPages() async throws {
        try await withServer { client, parts in
            let session = try await client.signIn("alice")
            let question = "What is a NULL? " + Self.hostile
            let page = try await client.postForm(
                "/ask", ["question": question, "csrf": session.csrf], cookie: session.cookie, headers: [.accept: "text/html"])
            #expect(page.status == .ok)
            Self.expectInert(page.text, "the ask page")

            let history = try await client.get("/history", cookie: session.cookie)
            Self.expectInert(history.text, "the history page")

            let auditor = parts.tokens["audrey"]!
            let record = try #require(try parts.auditLog.records(matching: AuditFilter(user: "alice", kind: .question), limit: 10_000)
                .last { $0.event.question?.question == question })
            let recordPage = try await client.get("/audit/records/\(record.id)", token: auditor, accept: "text/html")
            #expect(recordPage.status == .ok)
            Self.expectInert(recordPage.text, "the audit record page")
            let search = try await client.get("/audit?user=alice&text=onfocus", token: auditor, accept: "text/html")
            Self.expectInert(search.text, "the audit search page")
        }
    }

    @Test func aHostileDocumentTitleAndSourceNameAreTextOnTheAdminPages() async throws {
        try await withServer { client, parts in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-escaping-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let source = try parts.store.addSource(root: folder.path, name: Self.hostile, groups: [])
            defer { _ = try? parts.store.removeSource(id: source.id!) }
            _ = try parts.store.replaceDocument(
                DocumentUpdate(path: folder.appendingPathComponent("hostile.html").path, sourceId: source.id, contentSHA256: "0",
                               sizeBytes: 1, format: .html, title: Self.hostile, author: nil, created: nil, modified: nil,
                               pages: nil, pagesWithoutText: 0, usedOCR: false),
                chunks: [], vectors: [])
            try parts.store.recordFailure(path: folder.appendingPathComponent("broken.html").path, sourceId: source.id,
                                          format: .html, contentSHA256: nil, sizeBytes: nil, status: .failed, error: Self.hostile)
            let admin = parts.tokens["adam"]!
            let documents = try await client.get("/admin/documents?source=\(source.id!)", token: admin, accept: "text/html")
            #expect(documents.status == .ok)
            Self.expectInert(documents.text, "the documents page")
            let adminPage = try await client.get("/admin", token: admin, accept: "text/html")
            Self.expectInert(adminPage.text, "the admin page")
        }
    }

    @Test func aHostileNextLinkStaysInsideItsAttributeOnTheSignInPage() async throws {
        try await withServer { client, _ in
            let next = "/" + Self.hostile
            let page = try await client.get("/login?next=" + next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            Self.expectInert(page.text, "the sign-in page")
        }
    }

    /// The templates write a value unescaped only where the Swift side built the HTML from
    /// escaped text (CitationLinks): a new `{{{…}}}` or `{{&…}}` fails here until it is added
    /// to this list with its reason.
    @Test func onlyHTMLBuiltFromEscapedTextIsWrittenUnescaped() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/RagServer/Resources/templates").standardizedFileURL
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mustache") }
        #expect(files.count >= 16)
        var unescaped: Set<String> = []
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains("{{="), "\(file) changes the delimiters, which would hide tags from this test")
            for match in text.matches(of: /\{\{\{\s*([^}]*?)\s*\}\}\}|\{\{&\s*([^}]*?)\s*\}\}/) {
                unescaped.insert("\(file): \(match.1 ?? match.2 ?? "")")
            }
        }
        #expect(unescaped == ["answer.mustache: textHTML", "turn.mustache: answerHTML"])
    }

    @Test func securityHeadersAreOnPagesAndErrorPagesAndStoredPagesKeepTheirSandbox() async throws {
        try await withServer { client, parts in
            let session = try await client.signIn("alice")
            let home = try await client.get("/", cookie: session.cookie)
            #expect(home.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(home.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(home.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(home.headers[.xContentTypeOptions] == "nosniff")
            #expect(home.headers[.cacheControl] == "no-store")

            let missing = try await client.get("/documents/999999999", cookie: session.cookie, accept: "text/html")
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true, "error pages too")

            let stylesheet = try await client.get("/static/app.css")
            #expect(stylesheet.headers[.xContentTypeOptions] == "nosniff")

            let document = try await client.get("/documents/\(parts.publicDocumentIds[0])", cookie: session.cookie)
            #expect(document.status == .ok)
            #expect(document.headers[values: .contentSecurityPolicy] == ["sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"],
                    "a stored page keeps its own policy, alone")
            #expect(document.headers[.xContentTypeOptions] == "nosniff")
        }
    }
}
