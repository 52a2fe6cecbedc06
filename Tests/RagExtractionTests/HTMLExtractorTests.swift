import Foundation
import RagCore
import Testing
@testable import RagExtraction

@Suite("HTML extraction")
struct HTMLExtractorTests {
    private func extract(_ html: String) throws -> ExtractedDocument {
        try HTMLExtractor().extract(bytes: Array(html.utf8))
    }

    private func allText(_ document: ExtractedDocument) -> String {
        document.sections.flatMap(\.blocks).map(\.text).joined(separator: "\n")
    }

    @Test("navigation, banners, footers, scripts, styles and forms are dropped")
    func dropsFurniture() throws {
        let document = try extract("""
            <html><head><title>Page</title><style>p { color: red }</style></head><body>
            <header><a href="/">Site name</a></header>
            <nav><ul><li>Home</li><li>About</li></ul></nav>
            <div role="navigation">Crumbs</div>
            <div class="menu mainmenu">Menu entry</div>
            <p>Real content.</p>
            <script>var hidden = "script text";</script>
            <noscript>Enable JS</noscript>
            <form><button>Search</button></form>
            <aside>Related links</aside>
            <div hidden>Hidden text</div>
            <footer>Copyright</footer>
            </body></html>
            """)
        let text = allText(document)
        #expect(text == "Real content.")
        #expect(document.title == "Page")
    }

    @Test("<main> is preferred and its own header is kept")
    func prefersMain() throws {
        let document = try extract("""
            <body><div>Outside text</div>
            <main><header><h1>Article title</h1></header><p>Inside text</p><footer>Notes</footer></main>
            </body>
            """)
        #expect(allText(document) == "Inside text\nNotes")
        #expect(document.sections.first?.path == ["Article title"])
        #expect(document.title == "Article title")
    }

    @Test("inline markup adds no spaces; blocks and <br> separate words; entities decoded")
    func inlineText() throws {
        let document = try extract("""
            <p><b>SQLITE</b>_MAX_<i>LENGTH</i> is <code>1000000000</code>&nbsp;bytes &amp; more</p>
            <div>one<br>two</div><p>x<sup>2</sup></p>
            """)
        #expect(document.sections.first?.blocks == [
            .paragraph("SQLITE_MAX_LENGTH is 1000000000 bytes & more"),
            .paragraph("one two"),
            .paragraph("x2"),
        ])
    }

    @Test("headings build section paths; ids and preceding named anchors become anchors")
    func headingsAndAnchors() throws {
        let document = try extract("""
            <h1>Guide</h1><p>Intro</p>
            <a name="install"></a><h2>Installing</h2><p>Step</p>
            <h3 id="linux">On <em>Linux</em></h3><p>apt</p>
            <h2><a id="usage">Usage</a></h2><p>Run it</p>
            <a name="flags"></a><p>Flags paragraph</p>
            <h1>Appendix</h1><p>End</p>
            """)
        let sections = document.sections
        #expect(sections.map(\.path) == [
            ["Guide"], ["Guide", "Installing"], ["Guide", "Installing", "On Linux"], ["Guide", "Usage"],
            ["Guide", "Usage"], ["Appendix"],
        ])
        #expect(sections.map(\.anchor) == [nil, "install", "linux", "usage", "flags", nil])
        #expect(sections[4].blocks == [.paragraph("Flags paragraph")])
    }

    @Test("lists get markers, <pre> keeps line breaks")
    func listsAndCode() throws {
        let document = try extract("""
            <ul><li>first <b>item</b></li><li>second</li></ul>
            <ol start="3"><li>three</li><li><p>four</p><p>more about four</p></li></ol>
            <pre>
            let x = 1
                indented()
            </pre>
            """)
        #expect(document.sections.first?.blocks == [
            .listItem("- first item"), .listItem("- second"), .listItem("3. three"), .listItem("4. four"),
            .paragraph("more about four"), .code("let x = 1\n    indented()"),
        ])
    }

    @Test("tables keep header rows, captions and spans")
    func tables() throws {
        let document = try extract("""
            <table><caption>Limits</caption>
            <tr><th>Name</th><th>Default</th></tr>
            <tr><td><b>SQLITE</b>_MAX_LENGTH</td><td>1000000000</td></tr>
            <tr><td>SQLITE_MAX_COLUMN</td><td>2000</td></tr>
            </table>
            <table border="1">
            <tr><th rowspan="2">Name</th><th colspan="2">Offset</th></tr>
            <tr><th>xShmLock</th><th>File</th></tr>
            <tr><td>WAL_WRITE_LOCK</td><td>0</td><td>120</td></tr>
            </table>
            """)
        let blocks = try #require(document.sections.first?.blocks)
        guard case .table(let limits) = blocks.first, case .table(let locks) = blocks.last else {
            Issue.record("expected two tables, got \(blocks)")
            return
        }
        #expect(limits.caption == "Limits")
        #expect(limits.rowTexts == ["Name: SQLITE_MAX_LENGTH | Default: 1000000000", "Name: SQLITE_MAX_COLUMN | Default: 2000"])
        #expect(locks.header == ["Name", "Offset xShmLock", "Offset File"])
        #expect(locks.rows == [["WAL_WRITE_LOCK", "0", "120"]])
    }

    @Test("layout tables are read as ordinary blocks")
    func layoutTable() throws {
        let document = try extract("""
            <table><tr><td><h2>Sidebar title</h2><p>Body text</p></td><td><table><tr><td>a</td></tr></table></td></tr></table>
            """)
        #expect(document.sections.map(\.path) == [["Sidebar title"]])
        #expect(allText(document) == "Body text\na")
    }

    @Test("Latin-1 decodes with and without a charset declaration")
    func latin1() throws {
        let declared = Array("<html><head><meta charset=\"iso-8859-1\"></head><body><p>caf".utf8) + [0xE9]
            + Array(" cr".utf8) + [0xE8] + Array("me</p></body></html>".utf8)
        let undeclared = Array("<html><body><p>caf".utf8) + [0xE9] + Array(" au lait</p></body></html>".utf8)
        let httpEquiv = Array("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\"><p>caf".utf8)
            + [0xE9, 0x20, 0x93, 0x71, 0x94] // windows-1252 curly quotes around q
        let a = try HTMLExtractor().extract(bytes: declared)
        let b = try HTMLExtractor().extract(bytes: undeclared)
        let c = try HTMLExtractor().extract(bytes: httpEquiv)
        #expect(allText(a) == "café crème")
        #expect(allText(b) == "café au lait")
        #expect(allText(c) == "café \u{201C}q\u{201D}")
    }

    @Test("other declared charsets are decoded by libxml2 (KOI8-R)")
    func koi8() throws {
        let bytes = Array("<html><head><meta charset=\"koi8-r\"></head><body><p>".utf8)
            + [0xD0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4] + Array("</p></body></html>".utf8)
        #expect(allText(try HTMLExtractor().extract(bytes: bytes)) == "привет")
    }

    @Test("UTF-16 with a byte order mark, and UTF-8 with a BOM")
    func utf16() throws {
        let html = "<html><body><h1>Überschrift</h1><p>café ☕</p></body></html>"
        let le: [UInt8] = [0xFF, 0xFE] + html.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let be: [UInt8] = [0xFE, 0xFF] + html.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(html.utf8)
        for bytes in [le, be, bom] {
            let document = try HTMLExtractor().extract(bytes: bytes)
            #expect(document.sections.first?.path == ["Überschrift"])
            #expect(allText(document) == "café ☕")
        }
    }

    @Test("binary data named .html is rejected as corrupt, not read as junk")
    func binaryRejected() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SystemRandomNumberGenerator()
        let garbage = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let url = directory.appendingPathComponent("garbage.html")
        try Data(garbage).write(to: url)
        #expect(throws: ExtractionError.self) { try DocumentExtractor().extract(fileAt: url) }
        do {
            _ = try DocumentExtractor().extract(fileAt: url)
        } catch {
            #expect(error.code == "corrupt")
        }
        // A PNG header is binary too, even without NUL bytes in the first few bytes.
        #expect(throws: ExtractionError.corrupt(reason: "binary data, not HTML")) {
            try HTMLExtractor().extract(bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D])
        }
    }

    @Test("deep nesting and one gigantic line neither crash nor lose text")
    func hostileInput() throws {
        let depth = 20_000
        let nested = String(repeating: "<div><span>", count: depth) + "deep text" + String(repeating: "</span></div>", count: depth)
        let deep = try extract("<html><body>\(nested)<p>after</p></body></html>")
        #expect(allText(deep) == "deep text\nafter")
        let unclosed = try extract("<html><body>" + String(repeating: "<div><b>", count: 300_000) + "unclosed")
        #expect(allText(unclosed) == "unclosed")

        let words = String(repeating: "word ", count: 2_200_000) // 11 MB on one line
        let text = allText(try extract("<p>\(words)end</p>"))
        let complete = text.hasSuffix("word end") && text.utf8.count == words.utf8.count + 3
        #expect(complete, "the 11 MB paragraph was cut to \(text.utf8.count) bytes")
    }

    @Test("a heading left open (<h2>...</h1>) does not swallow the page")
    func unclosedHeading() throws {
        let document = try extract("<h2 align=center>Alphabetical List</h1><var><ul><li>See also</li></ul></var><ol><li>One</li></ol>")
        #expect(document.sections.map(\.path) == [["Alphabetical List"]])
        #expect(allText(document) == "- See also\n1. One")
    }

    @Test("an anchor at the end of an unclosed paragraph names what follows")
    func anchorAfterSentence() throws {
        let document = try extract("""
            <p>First pragma text ends here.
            <a name="pragma_two"></a><h _id=two style="display:none"> PRAGMA two</h><hr>
            <p>Second pragma text.
            <p>Mid <a name="inline"></a>sentence anchors do not split.
            """)
        #expect(document.sections.map(\.anchor) == [nil, "pragma_two"])
        #expect(document.sections.last?.blocks == [
            .paragraph("PRAGMA two"), .paragraph("Second pragma text."), .paragraph("Mid sentence anchors do not split."),
        ])
    }

    @Test("empty and whitespace-only pages give no sections")
    func emptyPage() throws {
        #expect(try extract("").sections.isEmpty)
        #expect(try extract("<html><body>  \n </body></html>").sections.isEmpty)
    }

    @Test("extraction is safe from many threads at once")
    func concurrent() async throws {
        let html = Array("<h1>T</h1><p>Hello <b>world</b></p><table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>".utf8)
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    let document = try? HTMLExtractor().extract(bytes: html)
                    return document?.sections.first?.blocks.first == .paragraph("Hello world")
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 64 && results.allSatisfy { $0 })
    }
}
