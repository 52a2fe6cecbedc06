import Foundation
import RagCore
import Testing

/// The downloaded test corpus (`make setup` fetches it into `$RAGD_CACHE/corpus`, by default
/// `~/.cache/ragd/corpus`). Files are read in place, never copied into the repository.
enum TestCorpus {
    static let cache: URL = {
        if let path = ProcessInfo.processInfo.environment["RAGD_CACHE"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/ragd")
    }()

    static let root = cache.appendingPathComponent("corpus")
    static let sqliteDocs = root.appendingPathComponent("sqlite3-doc/usr/share/doc/sqlite3")
    static let debianFAQ = root.appendingPathComponent("debian-faq/usr/share/doc/debian/FAQ/debian-faq.en.pdf")
    static let debianReference = root.appendingPathComponent("debian-reference/usr/share/debian-reference")
    static let rManuals = root.appendingPathComponent("r-doc-pdf/usr/share/doc/r-doc-pdf/manual")
    static let pypdf = root.appendingPathComponent("pdf-oddities/pypdf/resources")
    static let pikepdf = root.appendingPathComponent("pdf-oddities/pikepdf/tests/resources")
    static let ocrmypdf = root.appendingPathComponent("pdf-oddities/ocrmypdf/tests/resources")
    static let oddities = root.appendingPathComponent("pdf-oddities")

    /// The evaluation questions, next to the repository (`/work/shared/eval`) or named by
    /// `RAGD_EVAL_QUESTIONS`.
    static let questions: URL = {
        if let path = ProcessInfo.processInfo.environment["RAGD_EVAL_QUESTIONS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: "/work/shared/eval/dev-questions.jsonl")
    }()

    /// `url` if it exists; otherwise records a failure that says how to get the corpus.
    static func require(_ url: URL, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        if FileManager.default.fileExists(atPath: url.path) { return url }
        Issue.record("missing test corpus file \(url.path): run `make setup` to download the corpus", sourceLocation: sourceLocation)
        return nil
    }

    /// All regular files below `directory` whose name ends in `.suffix`, sorted.
    static func files(under directory: URL, suffix: String) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        var result: [URL] = []
        for case let url as URL in enumerator where url.lastPathComponent.lowercased().hasSuffix(".\(suffix)") {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { result.append(url) }
        }
        return result.sorted { $0.path < $1.path }
    }
}

/// One line of `dev-questions.jsonl` (only the fields extraction tests use).
struct EvalItem: Decodable, Sendable {
    var id: String
    var source: String
    var page: Int?
    var evidence: String
    var kind: String
    var format: String

    static func load() -> [EvalItem] {
        guard let url = TestCorpus.require(TestCorpus.questions),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(EvalItem.self, from: Data($0.utf8)) }
    }
}

/// Text helpers shared by the tests.
enum TestText {
    /// Whitespace runs as one space, trimmed: the evaluation's `collapse`.
    static func collapse(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// The whole text of some sections: headings, blocks, and for tables both the rendered
    /// rows (`rowTexts`) and the plain cells joined by spaces (how a tag-stripping extractor
    /// reads a row).
    /// With `listMarkers: false`, list items read without their "- "/"1. " markers, as a
    /// tag-stripping extractor sees them.
    static func text(of sections: [Section], listMarkers: Bool = true) -> String {
        var parts: [String] = []
        for section in sections {
            if let heading = section.path.last { parts.append(heading) }
            for block in section.blocks {
                if !listMarkers, case .listItem(let item) = block {
                    parts.append(String(item.drop { $0 != " " }.dropFirst()))
                    continue
                }
                parts.append(block.text)
                if case .table(let table) = block {
                    if let caption = table.caption { parts.append(caption) }
                    parts.append(table.header.joined(separator: " "))
                    parts += table.rows.map { $0.joined(separator: " ") }
                }
            }
        }
        return collapse(parts.joined(separator: "\n"))
    }

    /// The evaluation's looser rule (`passage_hits`): a common substring of at least
    /// max(12, ⌈len/2⌉) characters, with whitespace collapsed or removed.
    static func overlaps(_ passage: String, _ evidence: String) -> Bool {
        for normalise in [collapse, { $0.filter { !$0.isWhitespace } }] as [(String) -> String] {
            let p = Array(normalise(passage)), e = Array(normalise(evidence))
            let need = min(e.count, max(12, (e.count + 1) / 2))
            if need == 0 { continue }
            if e.count >= need, longestCommonSubstring(p, e) >= need { return true }
        }
        return false
    }

    private static func longestCommonSubstring(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: b.count + 1)
        var best = 0
        for i in 1...a.count {
            var current = [Int](repeating: 0, count: b.count + 1)
            for j in 1...b.count where a[i - 1] == b[j - 1] {
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
            }
            previous = current
        }
        return best
    }
}

/// One token per word, two special tokens (as RagChunkingTests' counter): chunk sizes a test
/// can count by eye.
struct WordCounter: TokenCounter {
    let specialTokens = 2
    func count(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
}
