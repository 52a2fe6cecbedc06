import Foundation
import GRDB
import RagCore
import RagInference
import RagIngest
import RagStore
import RagTesting
import Testing

/// The quantized nearest-neighbour search (binary codes in memory, float re-scoring) against
/// sqlite-vec's exact scan, on real embeddings of real documents.
@Suite struct VectorIndexTests {
    static let questions = [
        "What is the maximum length of a string?", "How are NULL values handled in UNIQUE columns?",
        "What does the upsert clause do on conflict?", "type affinity of a column", "write-ahead log checkpoint",
        "How do I upgrade Debian?", "Where can I get the Debian FAQ?", "maximum number of attached databases",
    ]

    func vectors(_ texts: [String]) async throws -> [[Float]] {
        try await TestModels.embedder.get().embed(texts).vectors
    }

    @Test func storedCodesAreSqliteVecBinaryQuantization() async throws {
        let store = try await SharedCorpus.shared.store()
        let (rows, mismatched) = try await store.writer.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk_vector") ?? 0,
             try Int.fetchOne(db, sql: """
                SELECT count(*) FROM chunk_vector v JOIN chunk_vec e ON e.chunk_id = v.chunk_id
                WHERE v.code != vec_quantize_binary(e.embedding) OR v.embedding != e.embedding
                """) ?? -1)
        }
        #expect(rows == (try store.indexCounts().vectors))
        #expect(rows > 100)
        #expect(mismatched == 0)
    }

    @Test func rescoringEveryCandidateIsExactSearch() async throws {
        let store = try await SharedCorpus.shared.store()
        let total = try store.indexCounts().vectors
        for (question, vector) in zip(Self.questions, try await vectors(Self.questions)) {
            let exact = try store.exactNearest(vector: vector, limit: 10)
            let hits = try store.search(SearchRequest(
                text: question, vector: vector, method: .vector, limit: 10, candidates: 10, rescoreCandidates: total))
            #expect(hits.map(\.chunkId) == exact.map(\.0), "\(question)")
            for (hit, (_, distance)) in zip(hits, exact) {
                #expect(abs((hit.vectorDistance ?? 9) - distance) < 1e-4)
            }
        }
    }

    @Test func defaultRescoringFindsTheExactNeighbours() async throws {
        let store = try await SharedCorpus.shared.store()
        var found = 0
        for (question, vector) in zip(Self.questions, try await vectors(Self.questions)) {
            let exact = Set(try store.exactNearest(vector: vector, limit: 10).map(\.0))
            // A small re-scoring window, so the binary codes must do real work on this corpus.
            let hits = try store.search(SearchRequest(
                text: question, vector: vector, method: .vector, limit: 10, candidates: 10, rescoreCandidates: 100))
            found += hits.filter { exact.contains($0.chunkId) }.count
        }
        let recall = Double(found) / Double(10 * Self.questions.count)
        #expect(recall >= 0.9, "recall@10 \(recall)")
    }

    /// Another connection (another process, in production: `ragd ingest` beside the daemon)
    /// adds and removes chunks; the next search of the first store sees exactly that.
    @Test func followsWritesFromAnotherConnection() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let embedder = try TestModels.embedder.get()
        func open() throws -> RagStore {
            try RagStore(configuration: StoreConfiguration(
                path: folder.appendingPathComponent("ragd.sqlite").path, vectorExtensionPath: TestModels.vectorExtension,
                embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier, rescoreCandidates: 4))
        }
        let reader = try open()
        let writer = try open()
        let texts = ["Zebras graze on the savanna.", "The ferry leaves at noon.", "Invoices are paid monthly.",
                     "Backups run every night.", "Passwords expire after ninety days.", "The canteen opens at eight."]
        let vectors = try await embedder.embed(texts).vectors
        func put(_ name: String, _ indices: [Int]) throws {
            let chunks = indices.enumerated().map { ordinal, i in
                Chunk(ordinal: ordinal, text: texts[i], sectionPath: [name], anchor: nil, pageStart: nil, pageEnd: nil,
                      characterStart: 0, characterEnd: texts[i].count, tokenCount: 8, origin: .textLayer)
            }
            try writer.replaceDocument(
                DocumentUpdate(path: "/notes/\(name).txt", sourceId: nil, contentSHA256: name + "\(indices)", sizeBytes: 1,
                               format: .text, title: name, author: nil, created: nil, modified: nil, pages: nil,
                               pagesWithoutText: 0, usedOCR: false),
                chunks: chunks, vectors: indices.map { vectors[$0] })
        }
        func top(_ i: Int) throws -> String? {
            try reader.search(SearchRequest(text: "", vector: vectors[i], method: .vector, limit: 1)).first?.text
        }
        try put("a", [0, 1])
        #expect(try top(0) == texts[0])  // loads the index
        try put("b", [2, 3, 4])
        #expect(try top(3) == texts[3])  // caught up with an insert
        try put("a", [5])                 // replaces a's chunks: two deletes, one insert
        #expect(try top(5) == texts[5])
        let afterReplace = try reader.search(SearchRequest(text: "", vector: vectors[0], method: .vector, limit: 10))
        #expect(!afterReplace.contains { $0.text == texts[0] || $0.text == texts[1] })
        #expect(afterReplace.count == 4)
        let doc = try #require(try writer.document(path: "/notes/b.txt"))
        try writer.deleteDocument(id: doc.id!)
        let afterDelete = try reader.search(SearchRequest(text: "", vector: vectors[3], method: .vector, limit: 10))
        #expect(afterDelete.map(\.text) == [texts[5]])
    }

    /// Full-text search ranks by the rarer words while their chunks fit the posting budget;
    /// a word found in more chunks than that is left to the vector ranking.
    @Test func fullTextKeepsTheRarerWordsWithinItsBudget() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-fts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let embedder = try TestModels.embedder.get()
        func open(budget: Int) throws -> RagStore {
            try RagStore(configuration: StoreConfiguration(
                path: folder.appendingPathComponent("ragd.sqlite").path, vectorExtensionPath: TestModels.vectorExtension,
                embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier, fullTextPostingBudget: budget))
        }
        let texts = ["The zebra report is due.", "The quarterly report is due.", "Every report needs a title.",
                     "A report goes to finance.", "The report template changed.", "Send the report by Friday."]
        let vectors = try await embedder.embed(texts).vectors
        let writer = try open(budget: 100)
        try writer.replaceDocument(
            DocumentUpdate(path: "/notes/reports.txt", sourceId: nil, contentSHA256: "r", sizeBytes: 1, format: .text,
                           title: "reports", author: nil, created: nil, modified: nil, pages: nil, pagesWithoutText: 0,
                           usedOCR: false),
            chunks: texts.enumerated().map { i, text in
                Chunk(ordinal: i, text: text, sectionPath: ["Reports"], anchor: nil, pageStart: nil, pageEnd: nil,
                      characterStart: 0, characterEnd: text.count, tokenCount: 8, origin: .textLayer)
            },
            vectors: vectors)
        func bm25(_ store: RagStore, _ query: String) throws -> [String] {
            try store.search(SearchRequest(text: query, vector: nil, method: .bm25, limit: 10)).map(\.text)
        }
        // "report" is in all six chunks, "zebra" in one.
        #expect(try bm25(writer, "zebra report").count == 6)
        let tight = try open(budget: 3)
        #expect(try bm25(tight, "zebra report") == [texts[0]])
        #expect(try bm25(tight, "report").isEmpty)
    }
}
