import Foundation
import RagChunking
import RagCore
import RagExtraction
import Testing

/// Seeded random mutations of real HTML pages (the SQLite documentation) through the HTML
/// extractor and then the chunker: nothing may crash or hang, errors must be typed, and the
/// chunks must keep the chunker's invariants.
///
/// Runs for `FuzzBudget.seconds` (10 s by default; `RAGD_FUZZ_SECONDS=600` for ten minutes).
/// Each iteration's seed is printed on failure; `RAGD_FUZZ_SEED` changes the base seed. In a
/// long run, the input in hand is written to `$TMPDIR/ragd-fuzz-html-current.html` first, so
/// an input that crashes the process is left behind for a regression test.
@Suite struct HTMLFuzzTests {
    static let tags = ["div", "p", "span", "table", "tr", "td", "th", "ul", "ol", "li", "pre", "code", "h1", "h2", "h3",
                       "a", "b", "i", "blockquote", "dl", "dt", "dd", "section", "article", "nav", "script", "style",
                       "title", "head", "body", "html", "br", "hr", "img", "caption", "thead", "tbody", "tfoot",
                       "template", "noscript", "svg", "math", "iframe", "textarea", "select", "option"]

    static let fragments: [[UInt8]] = [
        Array("<".utf8), Array(">".utf8), Array("</".utf8), Array("&".utf8), Array("&amp".utf8), Array("&#x".utf8),
        Array("&#99999999;".utf8), Array("<!--".utf8), Array("-->".utf8), Array("<![CDATA[".utf8), Array("]]>".utf8),
        Array("<?xml version=\"1.0\"?>".utf8), Array("<!DOCTYPE html>".utf8), Array("<meta charset=\"utf-16\">".utf8),
        Array("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=shift_jis\">".utf8),
        Array(" id=\"".utf8), Array("\"".utf8), Array("'".utf8), Array("\u{0}".utf8),
        [0xFF], [0xFE], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xEF, 0xBB, 0xBF],
    ]

    /// One random mutation of `page`.
    static func mutate(_ page: [UInt8], other: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = page
        let rounds = Int.random(in: 1...4, using: &rng)
        for _ in 0..<rounds {
            if bytes.isEmpty { bytes = Array("<p>".utf8) }
            let at = Int.random(in: 0...bytes.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: // byte flips
                for _ in 0..<Int.random(in: 1...32, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                }
            case 1: // truncation
                bytes = Array(bytes.prefix(at))
            case 2: // tag soup: random open/close tags, unbalanced
                var soup: [UInt8] = []
                for _ in 0..<Int.random(in: 1...40, using: &rng) {
                    let tag = tags.randomElement(using: &rng)!
                    soup += Array((Bool.random(using: &rng) ? "<\(tag)>" : "</\(tag)>").utf8)
                    if Bool.random(using: &rng) { soup += Array("text \(Int.random(in: 0...999, using: &rng)) ".utf8) }
                }
                bytes.insert(contentsOf: soup, at: at)
            case 3: // random nesting, sometimes deep
                let depth = Bool.random(using: &rng) ? Int.random(in: 1...50, using: &rng) : Int.random(in: 500...5_000, using: &rng)
                let tag = tags.randomElement(using: &rng)!
                let end = Int.random(in: at...bytes.count, using: &rng)
                bytes.insert(contentsOf: Array(String(repeating: "</\(tag)>", count: Bool.random(using: &rng) ? depth : 0).utf8), at: end)
                bytes.insert(contentsOf: Array(String(repeating: "<\(tag)>", count: depth).utf8), at: at)
            case 4: // invalid UTF-8 and markup fragments
                for _ in 0..<Int.random(in: 1...16, using: &rng) {
                    let i = Int.random(in: 0...bytes.count, using: &rng)
                    bytes.insert(contentsOf: fragments.randomElement(using: &rng)!, at: i)
                }
            case 5: // splice with another page
                let cut = Int.random(in: 0...other.count, using: &rng)
                bytes = Array(bytes.prefix(at)) + Array(other.suffix(from: cut))
            case 6: // delete a range
                let end = min(bytes.count, at + Int.random(in: 1...4096, using: &rng))
                bytes.removeSubrange(at..<end)
            default: // duplicate a range
                let end = min(bytes.count, at + Int.random(in: 1...8192, using: &rng))
                bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &rng))
            }
        }
        return bytes
    }

    @Test("mutated real pages never crash the extractor or break the chunker's invariants")
    func mutatedPages() throws {
        guard let docs = FuzzCorpus.sqliteDocs else { return }
        let pages = FuzzCorpus.files(under: docs, suffix: "html")
            .filter { ((try? $0.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0) < 200_000 }
        #expect(pages.count > 100)
        let sample = stride(from: 0, to: pages.count, by: max(1, pages.count / 60)).map { [UInt8](try! Data(contentsOf: pages[$0])) }
        let chunker = Chunker(counter: Words(), options: ChunkingOptions(maxTokens: 96, targetTokens: 64, overlapTokens: 12))
        let budget = FuzzBudget(defaultSeconds: 10)
        let current = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-fuzz-html-current.html")
        var iterations = 0, documents = 0, errors: [String: Int] = [:]
        while budget.continues(after: iterations) {
            let seed = budget.seed &+ UInt64(iterations)
            var rng = SplitMix64(seed: seed)
            let page = sample.randomElement(using: &rng)!, other = sample.randomElement(using: &rng)!
            let input = Self.mutate(page, other: other, using: &rng)
            if budget.isLong { try Data(input).write(to: current) }
            iterations += 1
            let document: ExtractedDocument
            do {
                document = try HTMLExtractor().extract(bytes: input)
            } catch {
                errors[error.code, default: 0] += 1
                #expect(!error.description.isEmpty, "seed \(seed)")
                continue
            }
            documents += 1
            let issues = ChunkInvariants.check(chunker.chunks(of: document, title: "fuzz"), of: document, maxTokens: 96)
            let summary = "\(issues.count) broken chunks, first: \(issues.prefix(3))"
            #expect(issues.count == 0, "seed \(seed): \(summary)")
            if !issues.isEmpty { break }
        }
        print("fuzz html: \(iterations) inputs in \(budget.elapsed), \(documents) documents, errors \(errors.sorted { $0.key < $1.key }), base seed \(budget.seed)")
        #expect(iterations > 0)
    }
}

