import Foundation
import RagCore
import Synchronization
import Testing
@testable import RagExtraction

@Suite("PDF extraction")
struct PDFExtractorTests {
    private func pageText(_ document: ExtractedDocument, page: Int) -> String {
        TestText.text(of: document.sections.filter { $0.page == page })
    }

    @Test("Debian FAQ: metadata, pages, outline paths")
    func debianFAQ() throws {
        guard let url = TestCorpus.require(TestCorpus.debianFAQ) else { return }
        let document = try DocumentExtractor().extract(fileAt: url)
        #expect(document.format == .pdf)
        #expect(document.title == "The Debian GNU/Linux FAQ")
        #expect(document.pageCount == 73)
        #expect(document.created != nil)
        #expect(document.pagesWithoutText == [8, 12, 24, 34, 42, 52, 60]) // blank pages between chapters
        #expect(document.sections.allSatisfy { ($0.page ?? 0) >= 1 && ($0.page ?? 0) <= 73 })
        // Page 11 holds the end of 1.5, all of 1.6 and 1.7: three sections, each on page 11.
        let page11 = document.sections.filter { $0.page == 11 }
        #expect(page11.map { $0.path.last ?? "" }.suffix(2) == [
            "How does the Debian project fit in or compare with the Free Software Foundation's GNU project?",
            "How does one pronounce Debian and what does this word mean?",
        ])
        #expect(page11.first?.path.first == "Definitions and overview")
    }

    @Test("a known phrase maps to its page (df-001: Debra and Ian Murdock, page 11)")
    func phraseToPage() throws {
        guard let url = TestCorpus.require(TestCorpus.debianFAQ) else { return }
        let document = try PDFExtractor().extract(fileAt: url)
        let phrase = "This word is a contraction of the names of Debra and Ian Murdock, who founded the project."
        let pages = Set(document.sections.filter { TestText.text(of: [$0]).contains(phrase) }.compactMap(\.page))
        #expect(pages == [11])
    }

    /// Every `format: pdf` evidence string (whitespace collapsed) must be in the text of the
    /// sections on its page.
    @Test("evidence strings of the 20 PDF eval items are on their pages")
    func evidenceCoverage() throws {
        let items = EvalItem.load().filter { $0.format == "pdf" }
        guard !items.isEmpty, let url = TestCorpus.require(TestCorpus.debianFAQ) else { return }
        let document = try PDFExtractor().extract(fileAt: url)
        var exact = 0, missing: [String] = []
        for item in items {
            guard let page = item.page else { continue }
            if pageText(document, page: page).contains(TestText.collapse(item.evidence)) {
                exact += 1
            } else {
                let overlap = TestText.overlaps(pageText(document, page: page), item.evidence)
                missing.append(item.id + (overlap ? " (overlap only)" : ""))
            }
        }
        print("PDF evidence coverage: \(exact)/\(items.count) on the right page; not exact: \(missing)")
        #expect(exact == items.count, "not found verbatim: \(missing)")
    }

    /// (pypdf's r5-/r6-user-password.pdf open without a password in poppler and pdftotext,
    /// so they are not used here.)
    @Test("encrypted PDFs throw .encrypted", arguments: [
        "pypdf/resources/encryption/r4-user-password.pdf",
        "pypdf/resources/encryption/r6-both-passwords.pdf",
        "pypdf/resources/encrypted-file.pdf",
        "pikepdf/tests/resources/graph-encrypted.pdf",
    ])
    func encrypted(_ path: String) throws {
        guard let url = TestCorpus.require(TestCorpus.oddities.appendingPathComponent(path)) else { return }
        #expect(throws: ExtractionError.encrypted) { try DocumentExtractor().extract(fileAt: url) }
    }

    @Test("an empty user password opens without one and extracts")
    func emptyPassword() throws {
        guard let url = TestCorpus.require(TestCorpus.pypdf.appendingPathComponent("encryption/r6-empty-password.pdf"))
        else { return }
        let document = try DocumentExtractor().extract(fileAt: url)
        #expect(document.pageCount ?? 0 >= 1)
        #expect(document.sections.flatMap(\.blocks).contains { $0.text.hasVisibleText })
    }

    @Test("truncated and non-PDF files throw .corrupt")
    func corrupt() throws {
        guard let source = TestCorpus.require(TestCorpus.debianFAQ) else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let bytes = try Data(contentsOf: source)
        let truncated = directory.appendingPathComponent("truncated.pdf")
        try bytes.prefix(2000).write(to: truncated)
        let notPDF = directory.appendingPathComponent("letter.pdf")
        try Data("Dear reader, this is not a PDF.".utf8).write(to: notPDF)
        let headerOnly = directory.appendingPathComponent("header-only.pdf")
        try Data("%PDF-1.7\n".utf8).write(to: headerOnly)

        for url in [truncated, notPDF, headerOnly] {
            do {
                let document = try DocumentExtractor().extract(fileAt: url)
                Issue.record("\(url.lastPathComponent) extracted \(document.sections.count) sections, expected .corrupt")
            } catch {
                #expect(error.code == "corrupt", "\(url.lastPathComponent): \(error)")
            }
        }
    }

    @Test("damaged PDFs from pikepdf's tests never crash", arguments: [
        "fuzz/378014596.pdf", "content-stream-errors.pdf", "cyclic-toc.pdf",
    ])
    func damaged(_ name: String) throws {
        guard let url = TestCorpus.require(TestCorpus.pikepdf.appendingPathComponent(name)) else { return }
        do {
            _ = try DocumentExtractor().extract(fileAt: url)
        } catch {
            #expect(["corrupt", "empty"].contains(error.code), "\(error)")
        }
    }

    @Test("a missing file is unreadable")
    func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/ragd/missing.pdf")
        #expect(throws: ExtractionError.self) { try DocumentExtractor().extract(fileAt: url) }
        #expect(throws: ExtractionError.self) { try PDFExtractor().extract(fileAt: url) }
        do { _ = try PDFExtractor().extract(fileAt: url) } catch { #expect(error.code == "unreadable") }
    }

    @Test("PDF bytes in memory extract like the file")
    func fromBytes() throws {
        guard let url = TestCorpus.require(TestCorpus.pikepdf.appendingPathComponent("fourpages.pdf")) else { return }
        let fromFile = try PDFExtractor().extract(fileAt: url)
        let fromBytes = try PDFExtractor().extract(bytes: [UInt8](try Data(contentsOf: url)))
        #expect(fromFile == fromBytes)
        #expect(throws: ExtractionError.self) { try PDFExtractor().extract(bytes: Array("garbage".utf8)) }
    }

    @Test("several threads extract different PDFs at once")
    func concurrent() throws {
        guard let faq = TestCorpus.require(TestCorpus.debianFAQ),
              let data = TestCorpus.require(TestCorpus.rManuals.appendingPathComponent("R-data.pdf")),
              let encrypted = TestCorpus.require(TestCorpus.pypdf.appendingPathComponent("encryption/r4-user-password.pdf"))
        else { return }
        let files = [faq, data, encrypted, faq, data, encrypted, faq, data]
        let expected = files.map { try? PDFExtractor().extract(fileAt: $0) }
        let results = Mutex([ExtractedDocument?](repeating: nil, count: files.count))
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            let document = try? PDFExtractor().extract(fileAt: files[index])
            results.withLock { $0[index] = document }
        }
        #expect(results.withLock { $0 } == expected)
    }

    /// Runs over every PDF of the pdf-oddities corpus in this process, text layer only (OCR,
    /// limits and crash containment are BadInputOutcomeTests'): each must finish with a
    /// document or a classified error. Prints the outcome per file.
    @Test("every pdf-oddities file ends in a document or a classified error")
    func odditiesSweep() throws {
        guard TestCorpus.require(TestCorpus.oddities) != nil else { return }
        let files = TestCorpus.files(under: TestCorpus.oddities, suffix: "pdf")
        #expect(files.count > 100)
        var outcomes: [String: Int] = [:]
        for url in files {
            let name = url.path.replacingOccurrences(of: TestCorpus.oddities.path + "/", with: "")
            do {
                let document = try DocumentExtractor(ocr: nil).extract(fileAt: url)
                outcomes["ok", default: 0] += 1
                if !document.hasText { print("oddity \(name): ok, no text (\(document.pagesWithoutText.count) pages for OCR)") }
            } catch {
                outcomes[error.code, default: 0] += 1
                print("oddity \(name): \(error)")
                #expect(["encrypted", "corrupt", "empty"].contains(error.code), "\(name): \(error)")
            }
        }
        print("pdf-oddities outcomes: \(outcomes.sorted { $0.key < $1.key })")
    }
}
