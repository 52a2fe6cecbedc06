import Foundation
import RagCore
import Testing
@testable import RagExtraction

/// Extraction of the real SQLite documentation (766 HTML pages) from the test corpus.
@Suite("SQLite HTML documentation")
struct SQLiteDocsTests {
    private func page(_ name: String) throws -> ExtractedDocument? {
        guard let url = TestCorpus.require(TestCorpus.sqliteDocs.appendingPathComponent(name)) else { return nil }
        return try DocumentExtractor().extract(fileAt: url)
    }

    @Test("a table row keeps its header (datatype3.html affinity examples)")
    func tableRowKeepsHeader() throws {
        guard let document = try page("datatype3.html") else { return }
        let tables = document.sections.flatMap(\.blocks).compactMap { block -> Table? in
            if case .table(let table) = block { return table } else { return nil }
        }
        let affinity = try #require(tables.first { $0.header.contains("Resulting Affinity") })
        #expect(affinity.header == ["Example Typenames From The CREATE TABLE Statement or CAST Expression",
                                    "Resulting Affinity", "Rule Used To Determine Affinity"])
        #expect(affinity.rowTexts.last == "Example Typenames From The CREATE TABLE Statement or CAST Expression: "
            + "NUMERIC DECIMAL(10,5) BOOLEAN DATE DATETIME | Resulting Affinity: NUMERIC | Rule Used To Determine Affinity: 5")
    }

    @Test("a header spanning columns names each of them (walformat.html)")
    func spannedHeader() throws {
        guard let document = try page("walformat.html") else { return }
        let rows = document.sections.flatMap(\.blocks).compactMap { block -> [String]? in
            if case .table(let table) = block { return table.rowTexts } else { return nil }
        }.flatMap { $0 }
        #expect(rows.contains("Name: WAL_WRITE_LOCK | Offset xShmLock: 0 | Offset File: 120"))
    }

    @Test("the page banner and menu are gone; headings, anchors and title are kept (lang_select.html)")
    func structure() throws {
        guard let document = try page("lang_select.html") else { return }
        #expect(document.title == "SELECT")
        let text = TestText.text(of: document.sections)
        #expect(!text.contains("Small. Fast. Reliable."))
        #expect(!text.contains("Search Documentation"))
        #expect(!text.contains("toggle_search"))
        let simple = try #require(document.sections.first { $0.anchor == "simple_select_processing" })
        #expect(simple.path == ["2. Simple Select Processing"])
        let pragma = try page("pragma.html")
        #expect(pragma?.sections.contains { $0.anchor == "pragma_cache_size" } == true)
    }

    /// Every `format: html` evidence string must appear in the extracted text of its page,
    /// after collapsing whitespace (tables also read as plain cells; see `TestText.text`).
    /// Evidence that runs through a list can only match once the "- " markers that
    /// `Block.listItem` requires are set aside; those are counted separately.
    @Test("evidence strings of the 40 HTML eval items survive extraction")
    func evidenceCoverage() throws {
        let items = EvalItem.load().filter { $0.format == "html" }
        guard !items.isEmpty else { return }
        var exact = 0, withoutMarkers: [String] = [], missing: [String] = []
        for item in items {
            guard let document = try page(item.source) else { continue }
            let evidence = TestText.collapse(item.evidence)
            if TestText.text(of: document.sections).contains(evidence) {
                exact += 1
            } else if TestText.text(of: document.sections, listMarkers: false).contains(evidence) {
                withoutMarkers.append(item.id)
            } else {
                let overlap = TestText.overlaps(TestText.text(of: document.sections), evidence)
                missing.append(item.id + (overlap ? " (overlap only)" : ""))
            }
        }
        print("HTML evidence coverage: \(exact)/\(items.count) verbatim, \(withoutMarkers.count) more without list "
            + "markers \(withoutMarkers); missing: \(missing)")
        #expect(missing.isEmpty, "not found: \(missing)")
        #expect(exact >= items.count - 1)
    }

    @Test("all 766 pages extract without error")
    func wholeCorpus() throws {
        guard TestCorpus.require(TestCorpus.sqliteDocs) != nil else { return }
        let files = TestCorpus.files(under: TestCorpus.sqliteDocs, suffix: "html")
        #expect(files.count == 766)
        var failures: [String] = []
        var empty: [String] = []
        for url in files {
            do {
                let document = try DocumentExtractor().extract(fileAt: url)
                if document.sections.isEmpty { empty.append(url.lastPathComponent) }
            } catch {
                failures.append("\(url.lastPathComponent): \(error)")
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }
}
