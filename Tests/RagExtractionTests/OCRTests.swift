import Foundation
import RagChunking
import RagCore
import RagExtraction
import Testing

/// Scanned pages (image-only PDFs from ocrmypdf's test resources) read by Tesseract.
@Suite struct OCRTests {
    /// The whole text of a document, whitespace collapsed.
    func text(_ document: ExtractedDocument) -> String {
        TestText.text(of: document.sections)
    }

    @Test("a scanned page is OCRed, and its sections and chunks say so", arguments: [
        ("linn.pdf", "multi-track tape recorder"),
        ("skew.pdf", "composition and performance tool"),
        ("c03-29.pdf", "Miss Watson"),
    ])
    func scannedPage(_ name: String, _ phrase: String) throws {
        guard let url = TestCorpus.require(TestCorpus.ocrmypdf.appendingPathComponent(name)) else { return }
        let withoutOCR = try DocumentExtractor(ocr: nil).extract(fileAt: url)
        #expect(withoutOCR.pagesWithoutText == [1])
        #expect(!text(withoutOCR).lowercased().contains(phrase.lowercased()))

        let document = try DocumentExtractor().extract(fileAt: url)
        #expect(document.pagesWithoutText == [1], "the page still has no text layer")
        #expect(text(document).lowercased().contains(phrase.lowercased()), "\(name): \(text(document).prefix(300))")
        #expect(!document.sections.isEmpty)
        #expect(document.sections.allSatisfy { $0.origin == .ocr && $0.page == 1 })

        let chunks = Chunker(counter: Words(), options: ChunkingOptions(maxTokens: 128, targetTokens: 80, overlapTokens: 16))
            .chunks(of: document, title: name)
        #expect(!chunks.isEmpty)
        #expect(chunks.allSatisfy { $0.origin == .ocr })
    }

    @Test("OCR stops at the page cap")
    func pageCap() throws {
        guard let url = TestCorpus.require(TestCorpus.ocrmypdf.appendingPathComponent("cardinal.pdf")) else { return }
        let capped = try DocumentExtractor(ocr: OCROptions(maxPages: 1)).extract(fileAt: url)
        #expect(capped.pagesWithoutText == [1, 2, 3, 4])
        #expect(Set(capped.sections.compactMap(\.page)).isSubset(of: [1]))
        let none = try DocumentExtractor(ocr: OCROptions(maxPages: 0)).extract(fileAt: url)
        #expect(none.sections.isEmpty)
    }

    @Test("a poster-sized page is rendered within the pixel budget")
    func hugePage() throws {
        guard let url = TestCorpus.require(TestCorpus.ocrmypdf.appendingPathComponent("hugemono.pdf")) else { return }
        // 8400 × 8400 pt would be 35 000² pixels at 300 dpi; the budget lowers the resolution.
        let clock = ContinuousClock()
        let started = clock.now
        _ = try DocumentExtractor(ocr: OCROptions(maxPixelsPerPage: 4_000_000)).extract(fileAt: url)
        #expect(clock.now - started < .seconds(60))
    }

    @Test("OCR through the isolated child gives the same text")
    func isolated() async throws {
        guard let helper = ExtractHelper.require(),
              let url = TestCorpus.require(TestCorpus.ocrmypdf.appendingPathComponent("linn.pdf"))
        else { return }
        let document = try await IsolatedExtractor(helper: helper, timeLimit: .seconds(60)).extract(fileAt: url)
        #expect(text(document).lowercased().contains("multi-track tape recorder"))
        #expect(document.sections.allSatisfy { $0.origin == .ocr })
    }
}

/// One token per word, plus two special tokens.
struct Words: TokenCounter {
    let specialTokens = 2
    func count(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
}
