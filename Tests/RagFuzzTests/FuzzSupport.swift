import Foundation
import RagChunking
import RagCore
import Testing

/// How long a fuzz test runs: `RAGD_FUZZ_SECONDS` or a default, from a base seed
/// (`RAGD_FUZZ_SEED` or a fixed one, so a normal test run is repeatable).
struct FuzzBudget {
    let seconds: Double
    let seed: UInt64
    let isLong: Bool
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    /// A normal run is capped in iterations too, so slow machines finish and fast ones repeat.
    private let maxIterations: Int?

    init(defaultSeconds: Double, defaultMaxIterations: Int = 100_000) {
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["RAGD_FUZZ_SECONDS"].flatMap(Double.init), value > 0 {
            seconds = value
            isLong = true
            maxIterations = nil
        } else {
            seconds = defaultSeconds
            isLong = false
            maxIterations = defaultMaxIterations
        }
        seed = environment["RAGD_FUZZ_SEED"].flatMap(UInt64.init) ?? 20_261_122
        started = clock.now
    }

    var elapsed: Duration { clock.now - started }

    func continues(after iterations: Int) -> Bool {
        if let maxIterations, iterations >= maxIterations { return false }
        return elapsed < .milliseconds(Int64(seconds * 1000))
    }
}

/// The chunker's promises, checked on any output.
enum ChunkInvariants {
    static func check(_ chunks: [Chunk], of document: ExtractedDocument, maxTokens: Int) -> [String] {
        let textLength = document.sections.flatMap(\.blocks).map(\.text).joined(separator: "\n\n").unicodeScalars.count
        var issues: [String] = []
        for (index, chunk) in chunks.enumerated() {
            if chunk.ordinal != index { issues.append("chunk \(index) has ordinal \(chunk.ordinal)") }
            if chunk.tokenCount > maxTokens { issues.append("chunk \(index) has \(chunk.tokenCount) > \(maxTokens) tokens") }
            if chunk.text.allSatisfy(\.isWhitespace) { issues.append("chunk \(index) is empty") }
            if !(0 <= chunk.characterStart && chunk.characterStart < chunk.characterEnd && chunk.characterEnd <= textLength) {
                issues.append("chunk \(index) offsets \(chunk.characterStart)..<\(chunk.characterEnd) outside 0..<\(textLength)")
            }
        }
        return issues
    }
}


/// One token per whitespace-separated word, plus two special tokens.
struct Words: TokenCounter {
    let specialTokens = 2
    func count(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
}

/// About one token per three characters of each word, plus [CLS] and [SEP]: long words cost
/// many tokens, as with WordPiece, so the chunker has to cut inside them.
struct Pieces: TokenCounter {
    let specialTokens = 2
    func count(_ text: String) -> Int {
        text.split(whereSeparator: \.isWhitespace).reduce(0) { $0 + ($1.unicodeScalars.count + 2) / 3 }
    }
}

/// The downloaded SQLite documentation (`make setup`), as in RagExtractionTests.
enum FuzzCorpus {
    static var sqliteDocs: URL? {
        let cache = ProcessInfo.processInfo.environment["RAGD_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/ragd").path
        let url = URL(fileURLWithPath: cache).appendingPathComponent("corpus/sqlite3-doc/usr/share/doc/sqlite3")
        if FileManager.default.fileExists(atPath: url.path) { return url }
        Issue.record("missing test corpus \(url.path): run `make setup` to download it")
        return nil
    }

    static func files(under directory: URL, suffix: String) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == suffix }.sorted { $0.path < $1.path }
    }
}
