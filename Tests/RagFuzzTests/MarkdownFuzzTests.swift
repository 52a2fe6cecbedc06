import Foundation
import RagChunking
import RagCore
import RagExtraction
import Testing

/// Seeded random Markdown (block and inline syntax, HTML, tables, front matter, invalid
/// UTF-8, deep nesting; no NULs, which make a file binary) through the Markdown reader and then the chunker: nothing may crash
/// or hang, every block has text, and the chunks keep the chunker's invariants.
///
/// Runs for `FuzzBudget.seconds` (5 s by default; `RAGD_FUZZ_SECONDS` for longer). Each
/// iteration's seed is printed on failure; `RAGD_FUZZ_SEED` changes the base seed.
@Suite struct MarkdownFuzzTests {
    static let fragments = [
        "# ", "## ", "###### ", "> ", "- ", "* ", "+ ", "1. ", "2) ", "    ", "\t", "```", "```swift", "~~~",
        "---", "===", "***", "|", "| a | b |", "|---|:-:|", " | ", "\\|", "*", "**", "_", "__", "~~", "`", "``",
        "[", "]", "](", ")", "![", "[x]: /url", "<", ">", "<div>", "</div>", "<table><tr><td>c</td></tr></table>",
        "<details>", "<summary>s</summary>", "</details>", "<!--", "-->", "<a name=\"n\"></a>", "<br>", "<kbd>",
        "Vec<String>", "<h2 id=\"h\">H</h2>", "<script>x</script>", "&amp;", "&#", "&nbsp;", "&#0;", "\\", "{#id}",
        "\n", "\n", "\n\n", "\r\n", "\r", "\u{FEFF}", "title: t", "SQLITE_MAX_LENGTH", "2*3*4", "café",
        "日本語", "word", "word", "text", "https://sqlite.org", "www.example.com",
    ]

    /// A random Markdown document as bytes.
    static func randomMarkdown(using rng: inout SplitMix64) -> [UInt8] {
        var text = Bool.random(using: &rng) ? "" : "---\ntitle: \"Fuzz\"\n---\n"
        for _ in 0..<Int.random(in: 0...300, using: &rng) {
            text += fragments.randomElement(using: &rng)!
            if Int.random(in: 0..<3, using: &rng) == 0 { text += " " }
        }
        if Int.random(in: 0..<8, using: &rng) == 0 { // deep nesting of one construct
            let opener = ["> ", "- ", "[", "*", "<div>", "  - ", "1. ", "> - "].randomElement(using: &rng)!
            text += String(repeating: opener, count: Int.random(in: 100...5_000, using: &rng)) + "deep"
        }
        var bytes = Array(text.utf8)
        for _ in 0..<(Bool.random(using: &rng) ? 0 : Int.random(in: 1...8, using: &rng)) where !bytes.isEmpty {
            bytes.insert([0xFF, 0xC3, 0xED, 0xA0].randomElement(using: &rng)!, at: Int.random(in: 0...bytes.count, using: &rng))
        }
        return bytes
    }

    @Test("random Markdown never crashes the reader or breaks the chunker's invariants")
    func randomDocuments() throws {
        let chunker = Chunker(counter: Words(), options: ChunkingOptions(maxTokens: 96, targetTokens: 64, overlapTokens: 12))
        let budget = FuzzBudget(defaultSeconds: 5, defaultMaxIterations: 5_000)
        var iterations = 0, documents = 0
        while budget.continues(after: iterations) {
            let seed = budget.seed &+ UInt64(iterations)
            var rng = SplitMix64(seed: seed)
            let input = Self.randomMarkdown(using: &rng)
            iterations += 1
            let document: ExtractedDocument
            do {
                document = try TextExtractor().extract(bytes: input, as: .markdown)
            } catch {
                continue // binary-looking input is refused with .corrupt, as for any text file
            }
            documents += 1
            let blocks = document.sections.flatMap(\.blocks)
            #expect(blocks.allSatisfy { $0.text.contains { !$0.isWhitespace } }, "seed \(seed): a block without text")
            #expect(!blocks.contains { $0.text.contains("\u{0}") }, "seed \(seed): a NUL in the text")
            let issues = ChunkInvariants.check(chunker.chunks(of: document, title: "fuzz"), of: document, maxTokens: 96)
            #expect(issues.isEmpty, "seed \(seed): \(issues.count) broken chunks, first: \(issues.prefix(3))")
            if !issues.isEmpty { break }
        }
        print("fuzz markdown: \(iterations) inputs in \(budget.elapsed), \(documents) documents, base seed \(budget.seed)")
        #expect(documents > 0)
    }
}
