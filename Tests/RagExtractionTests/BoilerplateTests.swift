import Foundation
import RagChunking
import RagCore
import Testing
@testable import RagExtraction

/// Boilerplate learned from a source itself, on two documentation generators: SQLite's own
/// (766 pages, a footer and "see also" furniture per folder) and DocBook (Debian Reference,
/// whose admonition tables carry a "Tip"/"Note" row on almost every page).
@Suite("Boilerplate learned per source")
struct BoilerplateTests {
    let chunker = Chunker(counter: WordCounter(), options: ChunkingOptions(maxTokens: 256, targetTokens: 180))

    /// Every file of a source, extracted, with the profile learned from its sample.
    struct LearnedSource {
        var root: URL
        var documents: [(url: URL, document: ExtractedDocument)]
        var profile: BoilerplateProfile
        func folder(of url: URL) -> String { BoilerplateLearner.folder(of: url.path, root: root.path) }
    }

    func learn(_ root: URL, suffix: String = "html") throws -> LearnedSource? {
        guard TestCorpus.require(root) != nil else { return nil }
        let files = TestCorpus.files(under: root, suffix: suffix)
        let documents = try files.map { (url: $0, document: try DocumentExtractor().extract(fileAt: $0)) }
        let byPath = Dictionary(uniqueKeysWithValues: documents.map { ($0.url.path, $0.document) })
        var learner = BoilerplateLearner()
        for path in BoilerplateLearner.sample(files.map(\.path), root: root.path) {
            learner.add(byPath[path]!, folder: BoilerplateLearner.folder(of: path, root: root.path))
        }
        return LearnedSource(root: root, documents: documents, profile: learner.profile())
    }

    /// A chunk that is nothing but furniture: every word a navigation word, or its text made
    /// only of blocks the profile calls boilerplate.
    func isOnlyNavigation(_ chunk: Chunk, profile: BoilerplateProfile, folder: String) -> Bool {
        let navigation: Set<String> = ["prev", "previous", "next", "up", "home", "index", "contents", "top", "|", "»", "«"]
        let words = chunk.text.lowercased().split(whereSeparator: \.isWhitespace)
        if words.allSatisfy({ navigation.contains(String($0)) }) { return true }
        let prints = profile.sourceWide.union(profile.byFolder[folder] ?? [])
        return chunk.text.split(separator: "\n").allSatisfy { prints.contains(BoilerplateProfile.fingerprint(String($0))) }
    }

    @Test("SQLite docs: per-folder furniture is learned and removed, repeated content labels stay")
    func sqliteDocs() throws {
        guard let source = try learn(TestCorpus.sqliteDocs) else { return }
        let profile = source.profile
        let c3ref = profile.byFolder["c3ref"] ?? []
        let releaselog = profile.byFolder["releaselog"] ?? []
        #expect(c3ref.contains("see also lists of objects, constants, and functions."))
        #expect(releaselog.contains { $0.hasPrefix("a complete list of sqlite releases") })
        // Labels that repeat inside release notes are content, not furniture.
        #expect(!releaselog.contains("bug fixes:"))
        #expect(!releaselog.contains("hashes:"))
        // Exact text: one release's heading never stands for another's.
        #expect(!profile.sourceWide.union(releaselog).contains { $0.hasPrefix("changes in version") })

        var removed = 0, navigationChunks: [String] = [], before = 0, after = 0
        for (url, document) in source.documents {
            let folder = source.folder(of: url)
            let (stripped, count) = profile.strip(document, folder: folder)
            removed += count
            let chunks = chunker.chunks(of: stripped, title: document.title ?? url.lastPathComponent)
            before += chunker.chunks(of: document, title: document.title ?? url.lastPathComponent).count
            after += chunks.count
            for chunk in chunks where isOnlyNavigation(chunk, profile: profile, folder: folder) {
                navigationChunks.append("\(url.lastPathComponent): \(chunk.text.prefix(60))")
            }
            let text = chunks.map(\.text).joined(separator: "\n")
            if folder == "c3ref" { #expect(!text.contains("See also lists of Objects, Constants, and Functions.")) }
        }
        print("SQLite docs: \(profile.fingerprintCount) fingerprints from \(profile.sampledDocuments) sampled pages; "
            + "\(removed) blocks removed; chunks \(before) → \(after)")
        #expect(removed > 300)
        #expect(navigationChunks.isEmpty, "navigation-only chunks: \(navigationChunks.prefix(5))")

        // Content survives: every HTML evidence string of the dev set is still in its page's chunks.
        var missing: [String] = []
        for item in EvalItem.load() where item.format == "html" {
            guard let (url, document) = source.documents.first(where: { $0.url.path.hasSuffix("/" + item.source) })
            else { continue }
            let stripped = profile.strip(document, folder: source.folder(of: url)).document
            let text = TestText.collapse(TestText.text(of: stripped.sections))
                + " " + TestText.collapse(TestText.text(of: stripped.sections, listMarkers: false))
            if !text.contains(TestText.collapse(item.evidence)) { missing.append(item.id) }
        }
        #expect(missing.isEmpty, "evidence lost with the boilerplate: \(missing)")
    }

    @Test("Debian Reference (DocBook): admonition labels and navigation go, the chapters' text stays")
    func debianReference() throws {
        guard let source = try learn(TestCorpus.debianReference) else { return }
        let profile = source.profile
        #expect(source.documents.count == 15)
        // "Caution" is on 8 of the 15 pages: under the 60% a label needs away from the page's edges.
        for label in ["tip", "note", "warning"] {
            #expect(profile.sourceWide.contains(label), "\(label) not learned: \(profile.sourceWide)")
        }
        var keptCharacters = 0, allCharacters = 0, navigationChunks: [String] = []
        for (url, document) in source.documents {
            let (stripped, _) = profile.strip(document, folder: source.folder(of: url))
            allCharacters += TestText.text(of: document.sections).count
            keptCharacters += TestText.text(of: stripped.sections).count
            for chunk in chunker.chunks(of: stripped, title: document.title ?? "")
            where isOnlyNavigation(chunk, profile: profile, folder: "") {
                navigationChunks.append("\(url.lastPathComponent): \(chunk.text.prefix(60))")
            }
            for section in stripped.sections {
                for case .table(let table) in section.blocks {
                    #expect(!table.rowTexts.contains { ["Tip", "Note", "Warning"].contains($0) })
                }
            }
        }
        print("Debian Reference: \(profile.fingerprintCount) fingerprints; kept \(keptCharacters) of \(allCharacters) characters")
        #expect(navigationChunks.isEmpty, "navigation-only chunks: \(navigationChunks.prefix(5))")
        // Labels are a sliver of a manual: nothing of substance goes with them.
        #expect(Double(keptCharacters) > 0.995 * Double(allCharacters))
    }

    @Test("a source of a few files learns nothing; a definition term is never removed")
    func smallSourcesAndTerms() {
        let footer = Block.paragraph("Copyright 2024 Example Corp. All rights reserved.")
        func page(_ i: Int) -> ExtractedDocument {
            ExtractedDocument(format: .html, sections: [
                Section(path: ["Page \(i)"], blocks: [.paragraph("Body text of page \(i)."), footer]),
                Section(path: ["Page \(i)"], term: "SETTING", blocks: [.paragraph("SETTING"), .paragraph("Described on \(i).")]),
            ])
        }
        var few = BoilerplateLearner()
        for i in 1...4 { few.add(page(i), folder: "") }
        #expect(few.profile().isEmpty)

        var many = few
        many.add(page(5), folder: "")
        let profile = many.profile()
        #expect(profile.sourceWide == [BoilerplateProfile.fingerprint(footer.text)])
        let (stripped, removed) = profile.strip(page(9), folder: "")
        #expect(removed == 1)
        #expect(stripped.sections[0].blocks == [.paragraph("Body text of page 9.")])
        #expect(stripped.sections[1].blocks.first == .paragraph("SETTING"))
    }

    @Test("the sample takes every folder, evenly spaced, within its caps")
    func sampling() {
        let files = (0..<100).map { "/src/a/\($0).html" } + (0..<3).map { "/src/b/\($0).html" } + ["/src/top.html"]
        let sample = BoilerplateLearner.sample(files, root: "/src", perFolder: 10, total: 1000)
        #expect(sample.count == 14)
        #expect(sample.contains("/src/top.html") && sample.contains("/src/b/2.html"))
        #expect(BoilerplateLearner.sample(files, root: "/src/", perFolder: 10, total: 7).count == 7)
        #expect(BoilerplateLearner.folder(of: "/src/a/x.html", root: "/src/") == "a")
        #expect(BoilerplateLearner.folder(of: "/src/top.html", root: "/src") == "")
    }
}
