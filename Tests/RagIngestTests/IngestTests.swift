import Foundation
import GRDB
import RagCore
import RagIngest
import RagStore
import RagTesting
import Testing

/// The ingestion worker over real SQLite HTML pages and real PDFs, with the real embedding model.
@Suite(.serialized) struct IngestTests {
    /// A folder with a few real documents, a truncated (corrupt) PDF and an encrypted PDF.
    static func makeTree(withPDFs: Bool = false) throws -> URL {
        let folder = try Fixtures.temporaryFolder()
        let docs = folder.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        for page in ["nulls.html", "limits.html", "lang_upsert.html"] {
            try FileManager.default.copyItem(
                atPath: try Fixtures.document(Fixtures.sqliteDocs + "/" + page), toPath: docs.appendingPathComponent(page).path)
        }
        guard withPDFs else { return folder }
        try FileManager.default.copyItem(
            atPath: try Fixtures.document(Fixtures.debianFAQ), toPath: docs.appendingPathComponent("debian-faq.en.pdf").path)
        let faq = try Data(contentsOf: URL(fileURLWithPath: Fixtures.debianFAQ))
        try faq.prefix(faq.count / 3).write(to: docs.appendingPathComponent("truncated.pdf"))
        try FileManager.default.copyItem(
            atPath: try Fixtures.document(Fixtures.pypdfResources + "/encryption/r4-user-password.pdf"),
            toPath: docs.appendingPathComponent("locked.pdf").path)
        return folder
    }

    @Test func ingestsRealDocumentsAndRecordsBadOnesWithReasons() async throws {
        let folder = try Self.makeTree(withPDFs: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Fixtures.store(in: folder)
        let summary = try await Fixtures.pipeline(store).ingest(paths: [folder.appendingPathComponent("docs").path])

        #expect(summary.new == 4)
        #expect(summary.failed.map { ($0.path as NSString).lastPathComponent } == ["truncated.pdf"])
        #expect(summary.failed.first?.code == "corrupt")
        #expect(summary.skipped.map { ($0.path as NSString).lastPathComponent } == ["locked.pdf"])
        #expect(summary.skipped.first?.reason.contains("encrypted") == true)
        #expect(summary.truncatedChunks == 0, "the chunker keeps every chunk within the model's limit")
        let counts = try store.indexCounts()
        #expect(counts.chunks == summary.chunks && counts.vectors == summary.chunks)

        let documents = try store.documents()
        let failed = try #require(documents.first { $0.path.hasSuffix("truncated.pdf") })
        #expect(failed.status == .failed)
        #expect(failed.error?.isEmpty == false)
        #expect(try #require(documents.first { $0.path.hasSuffix("locked.pdf") }).status == .skipped)

        // No chunk is longer than the embedding model reads.
        let embedder = try TestModels.embedder.get()
        let maxTokens = try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT max(token_count) FROM chunk") }
        #expect((maxTokens ?? 0) <= embedder.maxTokens)
    }

    @Test func aTableRowKeepsItsHeader() async throws {
        let store = try await SharedCorpus.shared.store()
        let texts = try await store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT c.text FROM chunk c JOIN document d ON d.id = c.document_id WHERE d.path LIKE '%nulls.html'")
        }
        let row = try #require(texts.flatMap { $0.split(separator: "\n") }.first { $0.contains("nulls are distinct in a UNIQUE column") })
        #expect(row.contains("Informix: No"), "row: \(row)")
        #expect(row.contains("SQLite: Yes"), "row: \(row)")
    }

    @Test func aPhraseInTheFAQMapsToItsPage() async throws {
        let store = try await SharedCorpus.shared.store()
        // From the dev set: df-001 is on physical page 11, df-002 on page 9.
        for (phrase, page) in [("contraction of the names of Debra and Ian Murdock", 11), ("The archives are updated twice every day", 9)] {
            let rows = try await store.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT page_start, page_end, text FROM chunk WHERE text LIKE ?", arguments: ["%\(phrase)%"])
            }
            let row = try #require(rows.first, "'\(phrase)' is in no chunk")
            let start: Int = row["page_start"], end: Int = row["page_end"]
            #expect((start...end).contains(page), "'\(phrase)' recorded on pages \(start)-\(end), expected \(page)")
        }
        let faq = try #require(try store.documents().first { $0.path.hasSuffix("debian-faq.en.pdf") })
        #expect((faq.pages ?? 0) > 50)
        #expect(faq.format == "pdf")
    }

    @Test func reingestingAnUnchangedTreeEmbedsNothing() async throws {
        let folder = try Self.makeTree()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Fixtures.store(in: folder)
        let docs = folder.appendingPathComponent("docs").path
        let first = try await Fixtures.pipeline(store).ingest(paths: [docs])
        let before = try chunkIds(store)
        let second = try await Fixtures.pipeline(store).ingest(paths: [docs])
        #expect(second.unchanged == first.new)
        #expect(second.new == 0 && second.updated == 0 && second.removed == 0)
        #expect(second.chunks == 0, "nothing was embedded")
        #expect(second.embedSeconds == 0)
        #expect(try chunkIds(store) == before)
        #expect(try store.documents().allSatisfy { $0.version <= 1 })
    }

    @Test func changingOneFileChangesOnlyItsChunks() async throws {
        let folder = try Self.makeTree()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Fixtures.store(in: folder)
        let docs = folder.appendingPathComponent("docs")
        _ = try await Fixtures.pipeline(store).ingest(paths: [docs.path])
        let before = try chunkIdsByDocument(store)

        let changed = docs.appendingPathComponent("lang_upsert.html")
        let html = try String(contentsOf: changed, encoding: .utf8)
            + "<h2 id=\"zebra\">Zebra note</h2><p>Upserts are allowed on zebra tables every Tuesday.</p>"
        try html.write(to: changed, atomically: true, encoding: .utf8)

        let summary = try await Fixtures.pipeline(store).ingest(paths: [docs.path])
        #expect(summary.updated == 1)
        #expect(summary.unchanged == 2)
        let after = try chunkIdsByDocument(store)
        let document = try #require(try store.document(path: changed.path))
        #expect(document.version == 2)
        for (path, ids) in before where path != changed.path {
            #expect(after[path] == ids, "\(path) changed")
        }
        #expect(after[changed.path] != before[changed.path])
        let hits = try fullTextHits(store, "zebra tables")
        #expect(hits == 1)
    }

    @Test func deletingAFileRemovesItFromEveryIndex() async throws {
        let folder = try Self.makeTree()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Fixtures.store(in: folder)
        let docs = folder.appendingPathComponent("docs")
        _ = try await Fixtures.pipeline(store).ingest(paths: [docs.path])
        let removedPath = docs.appendingPathComponent("lang_upsert.html").path
        let removedChunks = try #require(try store.document(path: removedPath)).chunkCount
        let countsBefore = try store.indexCounts()
        #expect(try fullTextHits(store, "\"ON CONFLICT\"") > 0)

        try FileManager.default.removeItem(atPath: removedPath)
        let summary = try await Fixtures.pipeline(store).ingest(paths: [docs.path])
        #expect(summary.removed == 1)
        #expect(try store.document(path: removedPath) == nil)
        let counts = try store.indexCounts()
        #expect(counts.chunks == countsBefore.chunks - removedChunks)
        #expect(counts.vectors == countsBefore.vectors - removedChunks)
        // FTS (external content): no index entry may still point at a deleted chunk.
        let orphans = try await store.writer.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM chunk_fts WHERE chunk_fts MATCH '"ON CONFLICT"'
                AND rowid NOT IN (SELECT id FROM chunk)
                """)
        }
        #expect(orphans == 0)
        try await store.writer.write { db in try db.execute(sql: "INSERT INTO chunk_fts(chunk_fts) VALUES ('integrity-check')") }
    }

    /// Six SQLite C-API pages share a "see also" line at their end: the profile learned from
    /// the source removes it from every chunk, is stored, and is learned again only on --force.
    @Test func boilerplateIsLearnedFromTheSourceOnceAndLeftOutOfChunks() async throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let docs = folder.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        let c3ref = try Fixtures.document(Fixtures.sqliteDocs + "/c3ref")
        for page in ["backup_finish.html", "bind_blob.html", "blob_open.html", "busy_timeout.html", "changes.html",
                     "close.html"] {
            try FileManager.default.copyItem(atPath: c3ref + "/" + page, toPath: docs.appendingPathComponent(page).path)
        }
        let store = try Fixtures.store(in: folder)
        let seeAlso = "\"lists of Objects Constants and Functions\""
        let first = try await Fixtures.pipeline(store).ingest(paths: [docs.path])
        #expect(first.new == 6)
        #expect(first.boilerplateBlocks >= 6)
        #expect(try fullTextHits(store, seeAlso) == 0)
        #expect(try fullTextHits(store, "sqlite3_backup_finish") > 0, "the pages' own text is there")
        let source = try store.source(root: docs.path)
        let learned = try #require(try store.boilerplateProfile(sourceId: source.id!))
        #expect(learned.documentsSampled == 6 && learned.filesSeen == 6)
        #expect(learned.profile.contains("see also lists of objects, constants, and functions."))

        // Unchanged: nothing extracted, nothing learned. Changed: chunked with the stored profile.
        _ = try await Fixtures.pipeline(store).ingest(paths: [docs.path])
        let changed = docs.appendingPathComponent("close.html")
        try (try String(contentsOf: changed, encoding: .utf8) + "<p>Closing twice is harmless here.</p>")
            .write(to: changed, atomically: true, encoding: .utf8)
        let update = try await Fixtures.pipeline(store).ingest(paths: [docs.path])
        #expect(update.updated == 1 && update.boilerplateBlocks >= 1)
        #expect(try fullTextHits(store, seeAlso) == 0)
        #expect(try store.boilerplateProfile(sourceId: source.id!)?.learnedAt == learned.learnedAt)

        var forced = try Fixtures.pipeline(store)
        forced.force = true
        _ = try await forced.ingest(paths: [docs.path])
        #expect(try store.boilerplateProfile(sourceId: source.id!)?.learnedAt != learned.learnedAt)
        #expect(try fullTextHits(store, seeAlso) == 0)
    }

    func chunkIds(_ store: RagStore) throws -> [Int64] {
        try store.writer.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM chunk ORDER BY id") }
    }

    func chunkIdsByDocument(_ store: RagStore) throws -> [String: [Int64]] {
        let rows = try store.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT d.path, c.id FROM chunk c JOIN document d ON d.id = c.document_id ORDER BY c.id")
        }
        return Dictionary(grouping: rows, by: { $0["path"] as String }).mapValues { $0.map { $0["id"] as Int64 } }
    }

    func fullTextHits(_ store: RagStore, _ query: String) throws -> Int {
        try store.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk_fts WHERE chunk_fts MATCH ?", arguments: [query]) ?? 0
        }
    }
}
