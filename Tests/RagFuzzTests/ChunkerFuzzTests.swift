import Foundation
import RagChunking
import RagCore
import Testing

/// Random documents through the chunker, with random options and two token counters: every
/// chunk within the token limit, none empty, offsets inside the document text, ordinals in
/// order, and no crash. Runs for `FuzzBudget` (10 s by default, `RAGD_FUZZ_SECONDS`).
@Suite struct ChunkerFuzzTests {
    static let words = ["the", "limit", "SQLITE_MAX_LENGTH", "is", "1000000000", "bytes", "café", "naïve", "日本語",
                        "テキスト", "emoji😀", "👩‍👩‍👧‍👦", "e\u{301}", "Ω", "a", "I.", "e.g.", "Dr.", "3.14", "U.S.A.",
                        "—", "-", "…", "?", "!", ";", "\u{200B}", "\u{FEFF}", "\u{AD}", "x\u{0}y", "\t", "(see", "below)"]

    static func randomText(using rng: inout SplitMix64) -> String {
        var parts: [String] = []
        // Mostly short texts, sometimes long ones, rarely a giant word.
        let count = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 0...400, using: &rng) : Int.random(in: 0...40, using: &rng)
        for _ in 0..<count {
            switch Int.random(in: 0..<60, using: &rng) {
            case 0: parts.append(String(repeating: "x", count: Int.random(in: 50...3000, using: &rng)))  // a giant word
            case 1...3: parts.append(String(repeating: " ", count: Int.random(in: 1...20, using: &rng)))
            case 4...6: parts.append(Bool.random(using: &rng) ? "\n" : "\n\n")
            case 7...9: parts.append(String(Unicode.Scalar(UInt32.random(in: 0x20...0x2FFF, using: &rng)) ?? "?"))
            case 10...14: parts.append(". ")
            default: parts.append(words.randomElement(using: &rng)!)
            }
        }
        return parts.joined(separator: Bool.random(using: &rng) ? " " : "")
    }

    static func randomDocument(using rng: inout SplitMix64) -> ExtractedDocument {
        var sections: [Section] = []
        for s in 0..<Int.random(in: 0...6, using: &rng) {
            var blocks: [Block] = []
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: blocks.append(.listItem("- " + randomText(using: &rng)))
                case 1: blocks.append(.code(randomText(using: &rng)))
                case 2:
                    let columns = Int.random(in: 0...5, using: &rng)
                    let header = (0..<columns).map { _ in randomText(using: &rng).prefix(30).description }
                    let rows = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                        (0..<Int.random(in: 0...6, using: &rng)).map { _ in randomText(using: &rng).prefix(200).description }
                    }
                    blocks.append(.table(Table(caption: nil, header: header, rows: rows)))
                default: blocks.append(.paragraph(randomText(using: &rng)))
                }
            }
            let depth = Int.random(in: 0...6, using: &rng)
            let path = (0..<depth).map { _ in randomText(using: &rng).prefix(Int.random(in: 0...300, using: &rng)).description }
            sections.append(Section(path: path, anchor: Bool.random(using: &rng) ? "a\(s)" : nil,
                                    page: Bool.random(using: &rng) ? s + 1 : nil,
                                    origin: Bool.random(using: &rng) ? .ocr : .textLayer, blocks: blocks))
        }
        return ExtractedDocument(format: .text, title: nil, sections: sections)
    }

    /// Seeds whose documents broke an invariant once (found in long runs), replayed every time.
    static let knownSeeds: [UInt64] = [
        1_003_127,  // a chunk of one tab: a long sentence's words are split at spaces only
    ]

    @Test("documents from seeds that once broke the chunker keep its invariants", arguments: knownSeeds)
    func knownSeed(_ seed: UInt64) {
        let issues = Self.run(seed: seed).issues
        #expect(issues.count == 0, "seed \(seed): \(issues.prefix(3))")
    }

    /// One iteration: options, counter and document from `seed`, chunked and checked.
    static func run(seed: UInt64) -> (chunks: Int, issues: [String], options: String) {
        var rng = SplitMix64(seed: seed)
        let maxTokens = Int.random(in: 48...512, using: &rng)  // below ~48 the 16-token unit floor cannot fit
        let target = Int.random(in: max(4, maxTokens / 4)...maxTokens, using: &rng)
        let overlap = Int.random(in: 0...(target / 2), using: &rng)
        let counter: any TokenCounter = Bool.random(using: &rng) ? Words() : Pieces()
        let document = randomDocument(using: &rng)
        let chunker = Chunker(counter: counter, options: ChunkingOptions(maxTokens: maxTokens, targetTokens: target, overlapTokens: overlap))
        let result = chunker.chunks(of: document, title: Bool.random(using: &rng) ? "Title" : nil)
        return (result.count, ChunkInvariants.check(result, of: document, maxTokens: maxTokens),
                "maxTokens \(maxTokens), target \(target), overlap \(overlap)")
    }

    @Test("random documents keep the chunker's invariants")
    func randomDocuments() {
        let budget = FuzzBudget(defaultSeconds: 10)
        var iterations = 0, chunks = 0
        while budget.continues(after: iterations) {
            let seed = budget.seed &+ UInt64(iterations)
            iterations += 1
            if budget.isLong {
                // Enough to replay a crash: the seed decides everything else.
                try? Data("\(seed)\n".utf8).write(to: FileManager.default.temporaryDirectory.appendingPathComponent("ragd-fuzz-chunker-seed"))
            }
            let (count, issues, options) = Self.run(seed: seed)
            chunks += count
            let summary = "\(issues.count) broken chunks, first: \(issues.prefix(3))"
            #expect(issues.count == 0, "seed \(seed) (\(options)): \(summary)")
            if !issues.isEmpty { break }
        }
        print("fuzz chunker: \(iterations) documents in \(budget.elapsed), \(chunks) chunks, base seed \(budget.seed)")
    }
}
