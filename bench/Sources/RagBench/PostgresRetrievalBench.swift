import Foundation
import GRDB
import RagCore
import RagPostgres
import RagStore
import RagTesting

/// The PostgreSQL store at the same scales, beside the SQLite figures of `RetrievalBench` in the
/// same run: the same rows (copied from the SQLite scale file, vectors and all), the same
/// queries. Each scale gets a new database on a local PostgreSQL 18 + pgvector 0.8.2 (the
/// binaries `make setup` unpacks) with 4 GB of shared buffers and maintenance memory.
///
/// The rows go in through `PostgresDocumentIndex.replaceDocument` (documents of 50 chunks) with
/// the vector index dropped, and the index is then built once by `rebuildVectorIndex()`, as
/// after a bulk load; both times are printed. The raw ceiling is pgvector's exact scan (index scans off), which also
/// gives the exact top-10 for recall (`PostgresDocumentIndex.exactNearest`).
struct PostgresRetrievalBench {
    let server: PostgresTestServer
    let dimensions: Int
    let model: String
    /// The vector index built after the load: "hnsw" (the store's) or "ivfflat" (rows / 1000 lists).
    var indexKind = "hnsw"

    static let settings = [
        "shared_buffers=4GB", "maintenance_work_mem=4GB", "max_parallel_maintenance_workers=1", "work_mem=64MB",
    ]

    func measure(scale: Int, label: String, sqlitePath: String, texts: [String], vectors: [[Float]], widths: [Int])
        async throws -> [Row]
    {
        let url = try await server.databaseURL()
        let store = try await PostgresStore.open(PostgresStoreConfiguration(
            location: PostgresLocation(url: url), node: "bench", maxConnections: 2, embedding: (model, dimensions)))
        defer { Task { await store.close() } }
        try await server.psql(url, "DROP INDEX chunk_vector_ann")

        print("retrieval at \(label), PostgreSQL: loading \(scale) rows...")
        let loadStart = ContinuousClock.now
        let source = try DatabaseQueue(path: sqlitePath, configuration: { var c = Configuration(); c.readonly = true; return c }())
        let documents = try await source.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM document ORDER BY id") }
        for (n, documentId) in documents.enumerated() {
            let (update, chunks, vectors) = try await source.read { db in
                let d = try GRDB.Row.fetchOne(db, sql: "SELECT path, title FROM document WHERE id = ?", arguments: [documentId])!
                var chunks: [Chunk] = []
                var vectors: [[Float]] = []
                for row in try GRDB.Row.fetchAll(db, sql: """
                    SELECT c.ordinal, c.text, c.section_path, v.embedding FROM chunk c JOIN chunk_vector v ON v.chunk_id = c.id
                    WHERE c.document_id = ? ORDER BY c.ordinal
                    """, arguments: [documentId]) {
                    let text: String = row["text"]
                    chunks.append(Chunk(
                        ordinal: row["ordinal"], text: text, sectionPath: [row["section_path"]], anchor: nil, pageStart: nil,
                        pageEnd: nil, characterStart: 0, characterEnd: text.count, tokenCount: 0, origin: .textLayer))
                    vectors.append(VectorBlob.decode(row["embedding"]))
                }
                let update = DocumentUpdate(
                    path: d["path"], sourceId: nil, contentSHA256: "\(documentId)", sizeBytes: 0, format: .text,
                    title: d["title"], author: nil, created: nil, modified: nil, pages: nil, pagesWithoutText: 0, usedOCR: false)
                return (update, chunks, vectors)
            }
            try await store.index.replaceDocument(update, chunks: chunks, vectors: vectors, generation: nil)
            if (n + 1) % 2000 == 0 { print("  \((n + 1) * RetrievalBench.chunksPerDocument) rows") }
        }
        let loadSeconds = (ContinuousClock.now - loadStart).seconds
        print(String(format: "  loaded in %.0f s (%.0f rows/s through replaceDocument); building the HNSW index...",
                     loadSeconds, Double(scale) / loadSeconds))
        let indexStart = ContinuousClock.now
        // Through the store's own rebuild (CREATE INDEX CONCURRENTLY, as on a live store).
        let built = try await store.index.rebuildVectorIndex(ivfflatFrom: indexKind == "ivfflat" ? 1 : Int.max)
        try await server.psql(url, "ANALYZE")
        print("  built \(built)")
        let indexSeconds = (ContinuousClock.now - indexStart).seconds
        print("  \(indexKind) index built in " + String(format: "%.0f s", indexSeconds))

        // Exact top-10 by a full scan (index scans off): pgvector's ceiling, and recall's reference.
        var exact: [[Int64]] = []
        var rawTimes: [Double] = []
        for vector in vectors {
            let start = ContinuousClock.now
            exact.append(try await store.index.exactNearest(vector: vector, limit: 10).map(\.0))
            rawTimes.append((ContinuousClock.now - start).seconds)
        }
        // One warm-up pass loads the index's pages.
        for vector in vectors.prefix(10) {
            _ = try await store.index.searchResults(SearchRequest(text: "", vector: vector, method: .vector, limit: 10, candidates: 10))
        }

        func run(_ method: SearchMethod, width: Int?) async throws -> (times: [Double], recall: Double) {
            var times: [Double] = []
            var found = 0
            for (i, vector) in vectors.enumerated() {
                let request = method == .vector
                    ? SearchRequest(text: texts[i], vector: vector, method: .vector, limit: 10, candidates: 10, rescoreCandidates: width)
                    : SearchRequest(text: texts[i], vector: vector, method: method, limit: 24, candidates: 50, rescoreCandidates: width)
                let start = ContinuousClock.now
                let hits = try await store.index.searchResults(request).hits
                times.append((ContinuousClock.now - start).seconds)
                if method == .vector { found += hits.prefix(10).filter { exact[i].contains($0.chunkId) }.count }
            }
            return (times, Double(found) / Double(10 * vectors.count))
        }
        var rows: [Row] = []
        let raw = Percentiles(rawTimes)
        let vector = try await run(.vector, width: nil)
        let v = Percentiles(vector.times)
        rows.append(Row(name: "postgres \(label): vector top-10 p50 (raw: pgvector exact scan)", unit: "ms", ragd: v.p50 * 1000, raw: raw.p50 * 1000))
        rows.append(Row(name: "postgres \(label): vector top-10 p95 (raw: pgvector exact scan)", unit: "ms", ragd: v.p95 * 1000, raw: raw.p95 * 1000))
        rows.append(Row(name: "postgres \(label): recall@10 vs exact scan", unit: "recall", ragd: vector.recall, raw: nil))
        let hybrid = Percentiles(try await run(.hybrid, width: nil).times)
        let bm25 = Percentiles(try await run(.bm25, width: nil).times)
        rows.append(Row(name: "postgres \(label): hybrid (full text + HNSW) p50", unit: "ms", ragd: hybrid.p50 * 1000, raw: nil))
        rows.append(Row(name: "postgres \(label): hybrid (full text + HNSW) p95", unit: "ms", ragd: hybrid.p95 * 1000, raw: nil))
        rows.append(Row(name: "postgres \(label): full text alone p95", unit: "ms", ragd: bm25.p95 * 1000, raw: nil))
        rows.append(Row(name: "postgres \(label): load / \(indexKind) build", unit: "s", ragd: loadSeconds, raw: indexSeconds))
        for width in widths {
            let r = try await run(.vector, width: width)
            let p = Percentiles(r.times)
            rows.append(Row(name: "  postgres \(label) \(indexKind) width \(width): p95 ms / recall@10 x100", unit: "ms | %",
                            ragd: p.p95 * 1000, raw: r.recall * 100))
        }
        return rows
    }
}
