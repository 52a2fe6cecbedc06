import Foundation
import RagCore
import Testing
@testable import RagExtraction

@Suite("Format detection")
struct FormatDetectionTests {
    private func format(_ name: String, _ prefix: String) -> DocumentFormat? {
        DocumentExtractor.format(of: URL(fileURLWithPath: "/docs/\(name)"), prefix: Array(prefix.utf8))
    }

    @Test("content that is unambiguous wins over the name")
    func magic() {
        #expect(format("report.html", "%PDF-1.7\n") == .pdf)
        #expect(format("scan", "junk before %PDF-1.4") == .pdf)
        #expect(format("page.php", "<!DOCTYPE html><html>") == .html)
        #expect(format("index", "\n  <html lang=en>") == .html)
    }

    @Test("extensions decide the rest")
    func extensions() {
        #expect(format("a.PDF", "not really") == .pdf) // extracted later as .corrupt
        #expect(format("a.htm", "hello") == .html)
        #expect(format("README.md", "# Title") == .markdown)
        #expect(format("notes.txt", "plain") == .text)
        #expect(format("README", "plain words") == .text)
        #expect(format("image.png", "\u{89}PNG") == nil)
        #expect(format("data.json", "{\"a\": 1}") == nil)
        #expect(DocumentExtractor.format(of: URL(fileURLWithPath: "/docs/blob"), prefix: [0, 1, 2, 3, 0xFF]) == nil)
    }

    @Test("UTF-16 text with a BOM is recognised as HTML")
    func utf16() {
        let html = "<!DOCTYPE html><html></html>"
        let bytes: [UInt8] = [0xFF, 0xFE] + html.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(DocumentExtractor.format(of: URL(fileURLWithPath: "/docs/page"), prefix: bytes) == .html)
    }

    @Test("unsupported files are reported as such")
    func unsupported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-fmt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("archive.zip")
        try Data([0x50, 0x4B, 0x03, 0x04, 0, 0]).write(to: url)
        do {
            _ = try DocumentExtractor().extract(fileAt: url)
            Issue.record("a zip file was extracted")
        } catch {
            #expect(error.code == "unsupported")
        }
    }

    @Test("decoding: BOMs, BOM-less UTF-16, UTF-8, windows-1252")
    func decoding() {
        #expect(TextDecoding.decode([0xEF, 0xBB, 0xBF, 0x61]) == "a")
        #expect(TextDecoding.decode([0xFF, 0xFE, 0x61, 0x00, 0xE9, 0x00]) == "aé")
        #expect(TextDecoding.decode([0x00, 0x61, 0x00, 0x62, 0x00, 0x63, 0x00, 0x64]) == "abcd")
        #expect(TextDecoding.decode(Array("naïve".utf8)) == "naïve")
        #expect(TextDecoding.decode([0x80, 0x20, 0x63, 0x61, 0x66, 0xE9]) == "€ café")
    }
}
