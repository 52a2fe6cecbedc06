import Foundation
import Logging
import PostgresNIO
import RagCore
import RagStore

/// Sources, documents, chunks and vectors in PostgreSQL, searched with its full-text search and
/// pgvector's HNSW index: the `DocumentIndex` every node of a deployment shares.
///
/// - Group lists are `text[]`; the access condition is
///   `(cardinality(d.groups) = 0 OR d.groups && $reader_groups)` inside every query, as the
///   SQLite store puts its condition inside every statement.
/// - Full text ranks with `ts_rank` over `chunk.fts` (section path weighted A, text B) for any of
///   the question's words (the words' lexemes OR-ed, as FTS5's planner ORs the rarer words);
///   `bm25Score` carries minus the rank, so that lower is better as with FTS5's bm25().
/// - Vectors: cosine distance (`<=>`) through HNSW with pgvector's iterative scan, so a filtered
///   search still returns its `candidates` nearest readable chunks.
public struct PostgresDocumentIndex: DocumentIndex {
    let client: PostgresClient
    let logger: Logger
    /// pgvector 0.8's iterative index scans are there (`PostgresVersions`).
    let iterativeScans: Bool
    /// Full text ranks by the rarer words of a question while their chunks add up to at most
    /// this many (`plannedLexemes`).
    var fullTextBudget = 8_000

    static let documentColumns = """
        d.id, d.source_id, d.path, d.title, d.author, d.format, d.groups, d.content_sha256, d.size_bytes, d.version,
        d.status, d.error, d.pages, d.pages_without_text, d.chunk_count, d.created_at, d.modified_at, d.ingested_at,
        d.checked_at
        """
    static let sourceColumns = "s.id, s.root, s.name, s.groups, s.created_at, s.last_ingest_at, s.on_prem_only"

    // MARK: Sources

    public func source(root: String, name: String? = nil) async throws -> SourceRecord {
        try await run("Adding a source") {
            let name = name ?? (root as NSString).lastPathComponent
            let inserted = try await Self.sources(client.query("""
                INSERT INTO source AS s (root, name) VALUES (\(root), \(name)) ON CONFLICT (root) DO NOTHING
                RETURNING \(unescaped: Self.sourceColumns)
                """, logger: logger))
            if let source = inserted.first { return source }
            return try await Self.sources(client.query(
                "SELECT \(unescaped: Self.sourceColumns) FROM source s WHERE root = \(root)", logger: logger))[0]
        }
    }

    @discardableResult
    public func addSource(root: String, name: String?, groups: [String]) async throws -> SourceRecord {
        let groups = GroupList.decode(GroupList.encode(groups))
        return try await transaction("Adding a source") { connection in
            let source = try await Self.sources(connection.query("""
                INSERT INTO source AS s (root, name, groups)
                VALUES (\(root), \(name ?? (root as NSString).lastPathComponent), \(groups))
                ON CONFLICT (root) DO UPDATE SET groups = excluded.groups, name = coalesce(\(name), s.name)
                RETURNING \(unescaped: Self.sourceColumns)
                """, logger: logger))[0]
            try await connection.query(
                "UPDATE document SET groups = \(groups) WHERE source_id = \(source.id!)", logger: logger)
            return source
        }
    }

    public func setSourceGroups(id: Int64, groups: [String]) async throws {
        let groups = GroupList.decode(GroupList.encode(groups))
        try await transaction("Changing a source's groups") { connection in
            let found = try await connection.query(
                "UPDATE source SET groups = \(groups) WHERE id = \(id) RETURNING id", logger: logger
            ).decode(Int64.self).first { _ in true }
            guard found != nil else { throw StoreError(.notFound, "There is no source \(id).") }
            try await connection.query("UPDATE document SET groups = \(groups) WHERE source_id = \(id)", logger: logger)
        }
    }

    @discardableResult
    public func removeSource(id: Int64) async throws -> Int {
        try await transaction("Removing a source") { connection in
            let count = try await connection.query(
                "SELECT count(*) FROM document WHERE source_id = \(id)", logger: logger
            ).decode(Int.self).first { _ in true } ?? 0
            let found = try await connection.query("DELETE FROM source WHERE id = \(id) RETURNING id", logger: logger)
                .decode(Int64.self).first { _ in true }
            guard found != nil else { throw StoreError(.notFound, "There is no source \(id).") }
            return count
        }
    }

    // MARK: Documents

    public func document(path: String) async throws -> DocumentRecord? {
        try await run("Reading a document") {
            try await Self.documents(client.query(
                "SELECT \(unescaped: Self.documentColumns) FROM document d WHERE d.path = \(path)", logger: logger)).first
        }
    }

    public func document(id: Int64) async throws -> DocumentRecord? {
        try await run("Reading a document") {
            try await Self.documents(client.query(
                "SELECT \(unescaped: Self.documentColumns) FROM document d WHERE d.id = \(id)", logger: logger)).first
        }
    }

    public func documents() async throws -> [DocumentRecord] {
        try await run("Listing documents") {
            try await Self.documents(client.query(
                "SELECT \(unescaped: Self.documentColumns) FROM document d ORDER BY d.path", logger: logger))
        }
    }

    public func chunks(documentId: Int64) async throws -> [ChunkRecord] {
        try await run("Reading a document's chunks") {
            var chunks: [ChunkRecord] = []
            for try await row in try await client.query("""
                SELECT id, document_id, ordinal, text, section_path, anchor, page_start, page_end, char_start, char_end,
                       token_count, origin
                FROM chunk WHERE document_id = \(documentId) ORDER BY ordinal
                """, logger: logger) {
                let r = row.makeRandomAccess()
                chunks.append(ChunkRecord(
                    id: try r["id"].decode(Int64.self), documentId: try r["document_id"].decode(Int64.self),
                    ordinal: try r["ordinal"].decode(Int.self), text: try r["text"].decode(String.self),
                    sectionPath: try r["section_path"].decode(String.self), anchor: try r["anchor"].decode(String?.self),
                    pageStart: try r["page_start"].decode(Int?.self), pageEnd: try r["page_end"].decode(Int?.self),
                    charStart: try r["char_start"].decode(Int.self), charEnd: try r["char_end"].decode(Int.self),
                    tokenCount: try r["token_count"].decode(Int.self), origin: try r["origin"].decode(String.self)))
            }
            return chunks
        }
    }

    /// How widely a search looks when the request does not say (`SearchRequest.rescoreCandidates`):
    /// HNSW's candidate list, and a tenth as many IVFFlat lists. 200 (20 lists) because two
    /// IVFFlat builds of the same million rows gave recall@10 0.952 and 0.914 at 10 lists, 0.976
    /// and 0.944 at 20, p95 34 ms (`ragd-bench --only retrieval --postgres --pg-index ivfflat`).
    public static let defaultSearchWidth = 200

    /// The index generation: one, until PostgreSQL stores learn to move to another embedding model.
    static let generation: Int64 = 1

    @discardableResult
    public func replaceDocument(_ update: DocumentUpdate, chunks: [Chunk], vectors: [[Float]], generation: Int64? = nil)
        async throws -> DocumentRecord
    {
        precondition(chunks.count == vectors.count, "one vector per chunk")
        if let generation, generation != Self.generation {
            throw StoreError(.indexSwitched, "The vector index was switched while \(update.path) was embedded.")
        }
        let status = update.usedOCR ? DocumentStatus.ingestedOCR : .ingested
        return try await transaction("Storing \(update.path)") { connection in
            // Insert or update the row, taking the source's groups; the row lock held from here
            // to the commit serialises two nodes storing the same file.
            let document = try await Self.documents(connection.query("""
                INSERT INTO document AS d (source_id, path, title, author, format, groups, content_sha256, size_bytes,
                    version, status, error, pages, pages_without_text, chunk_count, created_at, modified_at,
                    ingested_at, checked_at)
                VALUES (\(update.sourceId), \(update.path), \(update.title), \(update.author), \(update.format.rawValue),
                    coalesce((SELECT groups FROM source WHERE id = \(update.sourceId)), '{}'), \(update.contentSHA256),
                    \(update.sizeBytes), 1, \(status.rawValue), NULL, \(update.pages), \(update.pagesWithoutText),
                    \(chunks.count), \(update.created), \(update.modified), now(), now())
                ON CONFLICT (path) DO UPDATE SET
                    source_id = coalesce(excluded.source_id, d.source_id),
                    groups = coalesce((SELECT groups FROM source WHERE id = coalesce(excluded.source_id, d.source_id)), d.groups),
                    title = excluded.title, author = excluded.author, format = excluded.format,
                    content_sha256 = excluded.content_sha256, size_bytes = excluded.size_bytes, version = d.version + 1,
                    status = excluded.status, error = NULL, pages = excluded.pages,
                    pages_without_text = excluded.pages_without_text, chunk_count = excluded.chunk_count,
                    created_at = excluded.created_at, modified_at = excluded.modified_at, ingested_at = now(),
                    checked_at = now()
                RETURNING \(unescaped: Self.documentColumns)
                """, logger: logger))[0]
            let documentId = document.id!
            // Old chunks go with their vectors (ON DELETE CASCADE); the new ones and their vectors
            // arrive in one statement of arrays (absent values as '' and -1, arrays of optionals
            // being what the driver does not send).
            try await connection.query("DELETE FROM chunk WHERE document_id = \(documentId)", logger: logger)
            guard !chunks.isEmpty else { return document }
            try await connection.query("""
                WITH inserted AS (
                    INSERT INTO chunk (document_id, ordinal, text, section_path, anchor, page_start, page_end,
                        char_start, char_end, token_count, origin)
                    SELECT \(documentId), ordinal, text, section_path, nullif(anchor, ''), nullif(page_start, -1),
                           nullif(page_end, -1), char_start, char_end, token_count, origin
                    FROM unnest(\(chunks.map(\.ordinal))::integer[], \(chunks.map(\.text))::text[],
                                \(chunks.map(\.sectionLine))::text[], \(chunks.map { $0.anchor ?? "" })::text[],
                                \(chunks.map { $0.pageStart ?? -1 })::integer[], \(chunks.map { $0.pageEnd ?? -1 })::integer[],
                                \(chunks.map(\.characterStart))::integer[], \(chunks.map(\.characterEnd))::integer[],
                                \(chunks.map(\.tokenCount))::integer[], \(chunks.map(\.origin.rawValue))::text[])
                        AS c(ordinal, text, section_path, anchor, page_start, page_end, char_start, char_end, token_count, origin)
                    RETURNING id, ordinal)
                INSERT INTO chunk_vector (chunk_id, document_id, embedding)
                SELECT i.id, \(documentId), v.embedding::vector
                FROM inserted i
                JOIN unnest(\(chunks.map(\.ordinal))::integer[], \(vectors.map(Self.vectorText))::text[]) AS v(ordinal, embedding)
                    ON v.ordinal = i.ordinal
                """, logger: logger)
            return document
        }
    }

    public func recordFailure(path: String, sourceId: Int64?, format: DocumentFormat?, contentSHA256: String?,
                              sizeBytes: Int64?, status: DocumentStatus, error: String) async throws {
        _ = try await run("Recording a failed file") {
            // A version ingested before keeps its chunks (still searchable), and the error says so.
            try await client.query("""
                INSERT INTO document AS d (source_id, path, format, groups, content_sha256, size_bytes, version, status,
                    error, ingested_at, checked_at)
                VALUES (\(sourceId), \(path), \(format?.rawValue ?? "unknown"),
                    coalesce((SELECT groups FROM source WHERE id = \(sourceId)), '{}'), \(contentSHA256), \(sizeBytes), 0,
                    \(status.rawValue), \(error), now(), now())
                ON CONFLICT (path) DO UPDATE SET
                    status = excluded.status,
                    error = CASE WHEN d.chunk_count > 0
                        THEN excluded.error || ' (version ' || d.version || ' stays searchable until the file is fixed or removed)'
                        ELSE excluded.error END,
                    content_sha256 = excluded.content_sha256, size_bytes = excluded.size_bytes, checked_at = now()
                """, logger: logger)
        }
    }

    public func removeDocuments(sourceId: Int64, keeping seen: Set<String>) async throws -> [String] {
        try await transaction("Removing documents whose files are gone") { connection in
            var gone: [String] = []
            for try await path in try await connection.query(
                "SELECT path FROM document WHERE source_id = \(sourceId) ORDER BY path", logger: logger
            ).decode(String.self) where !seen.contains(path) { gone.append(path) }
            if !gone.isEmpty {
                try await connection.query("DELETE FROM document WHERE path = ANY(\(gone))", logger: logger)
            }
            return gone
        }
    }

    @discardableResult
    public func deleteDocument(id: Int64) async throws -> Bool {
        try await run("Deleting a document") {
            try await client.query("DELETE FROM document WHERE id = \(id) RETURNING id", logger: logger)
                .decode(Int64.self).first { _ in true } != nil
        }
    }

    // MARK: Search

    public func searchResults(_ request: SearchRequest) async throws -> SearchResults {
        try await transaction("Searching") { connection in
            let readers = Self.readerGroups(request.access)
            var bm25: [(Int64, Double)] = []
            var nearest: [(Int64, Double)] = []
            var hidden = Set<Int64>()
            // A vector-only search reads no statistics.
            let lexemes = request.method == .vector
                ? [] : try await Self.plannedLexemes(connection, text: request.text, budget: fullTextBudget, logger: logger)
            if !lexemes.isEmpty {
                // Any of the chosen lexemes (already stemmed: the 'simple' configuration keeps them).
                let query: PostgresQuery = """
                    SELECT c.id, ts_rank(c.fts, q) AS rank,
                           (\(readers)::text[] IS NULL OR cardinality(d.groups) = 0 OR d.groups && \(readers)::text[]) AS readable
                    FROM chunk c JOIN document d ON d.id = c.document_id,
                         (SELECT array_to_string(ARRAY(SELECT quote_literal(x) FROM unnest(\(lexemes)::text[]) x), ' | ')::tsquery AS q) query
                    WHERE c.fts @@ q
                    ORDER BY rank DESC, c.id
                    """
                var seen = 0
                for try await (id, rank, readable) in try await connection.query(query, logger: logger)
                    .decode((Int64, Float, Bool).self) {
                    seen += 1
                    if readable {
                        if bm25.count < request.candidates { bm25.append((id, -Double(rank))) }
                    } else if seen <= request.candidates, readers != nil {
                        hidden.insert(id)
                    }
                    if bm25.count >= request.candidates && seen >= request.candidates { break }
                }
            }
            let vectorText = request.vector.map(Self.vectorText)
            if request.method != .bm25, let vectorText {
                // How much of the HNSW graph a search walks (its candidate list), as `rescoreCandidates`
                // says how many candidates the SQLite store re-scores; iterative scans go on
                // until `candidates` readable chunks are found, filter and all.
                let efSearch = min(1_000, max(request.candidates, request.rescoreCandidates ?? Self.defaultSearchWidth))
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL hnsw.ef_search = \(efSearch)"), logger: logger)
                // The same width for an IVFFlat index (PostgresSchema.ivfflatIndex), in lists of
                // about a thousand vectors scanned exactly: a tenth as many lists as HNSW candidates.
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL ivfflat.probes = \(max(1, efSearch / 10))"), logger: logger)
                if iterativeScans {
                    // IVFFlat offers relaxed order only: the outer ORDER BY below restores it.
                    try await connection.query("SET LOCAL hnsw.iterative_scan = strict_order", logger: logger)
                    try await connection.query("SET LOCAL ivfflat.iterative_scan = relaxed_order", logger: logger)
                }
                for try await (id, distance) in try await connection.query("""
                    WITH nearest AS MATERIALIZED (
                        SELECT v.chunk_id, v.embedding <=> \(vectorText)::vector AS distance
                        FROM chunk_vector v JOIN document d ON d.id = v.document_id
                        WHERE \(readers)::text[] IS NULL OR cardinality(d.groups) = 0 OR d.groups && \(readers)::text[]
                        ORDER BY v.embedding <=> \(vectorText)::vector
                        LIMIT \(request.candidates))
                    SELECT chunk_id, distance FROM nearest ORDER BY distance, chunk_id
                    """, logger: logger).decode((Int64, Double).self) { nearest.append((id, distance)) }
                if readers != nil {
                    for try await id in try await connection.query("""
                        SELECT n.chunk_id FROM (
                            SELECT v.chunk_id, v.document_id FROM chunk_vector v
                            ORDER BY v.embedding <=> \(vectorText)::vector LIMIT \(request.candidates)) n
                        JOIN document d ON d.id = n.document_id
                        WHERE NOT (cardinality(d.groups) = 0 OR d.groups && \(readers)::text[])
                        """, logger: logger).decode(Int64.self) { hidden.insert(id) }
                }
            }
            let fused = RankFusion.fuse(bm25: bm25, vector: nearest, weights: request.fusion, limit: request.limit)
            guard !fused.isEmpty else { return SearchResults(hits: [], hiddenCandidates: hidden.count) }
            let ids = fused.map(\.id)
            var distances: [Int64: Double] = [:]
            let onlyByText = fused.filter { $0.vector == nil }.map(\.id)
            if let vectorText, !onlyByText.isEmpty {
                for try await (id, distance) in try await connection.query("""
                    SELECT chunk_id, embedding <=> \(vectorText)::vector FROM chunk_vector WHERE chunk_id = ANY(\(onlyByText))
                    """, logger: logger).decode((Int64, Double).self) { distances[id] = distance }
            }
            var byId: [Int64: SearchHit] = [:]
            for try await row in try await connection.query("""
                SELECT c.id, c.document_id, c.text, c.section_path, c.anchor, c.page_start, c.page_end, c.origin,
                       d.path, d.title, d.format, d.version, d.content_sha256, coalesce(s.on_prem_only, false) AS on_prem_only
                FROM chunk c JOIN document d ON d.id = c.document_id LEFT JOIN source s ON s.id = d.source_id
                WHERE c.id = ANY(\(ids))
                """, logger: logger) {
                let r = row.makeRandomAccess()
                var hit = SearchHit(
                    chunkId: try r["id"].decode(Int64.self), documentId: try r["document_id"].decode(Int64.self),
                    text: try r["text"].decode(String.self), sectionPath: try r["section_path"].decode(String.self),
                    anchor: try r["anchor"].decode(String?.self), pageStart: try r["page_start"].decode(Int?.self),
                    pageEnd: try r["page_end"].decode(Int?.self), origin: try r["origin"].decode(String.self),
                    documentPath: try r["path"].decode(String.self), documentTitle: try r["title"].decode(String?.self),
                    documentFormat: DocumentFormat(rawValue: try r["format"].decode(String.self)) ?? .text,
                    documentVersion: try r["version"].decode(Int.self),
                    documentSHA256: try r["content_sha256"].decode(String?.self),
                    bm25Rank: nil, bm25Score: nil, vectorRank: nil, vectorDistance: nil, fusedScore: 0)
                hit.onPremOnly = try r["on_prem_only"].decode(Bool.self)
                byId[hit.chunkId] = hit
            }
            let hits = fused.compactMap { candidate -> SearchHit? in
                guard var hit = byId[candidate.id] else { return nil }
                hit.bm25Rank = candidate.bm25?.rank
                hit.bm25Score = candidate.bm25?.score
                hit.vectorRank = candidate.vector?.rank
                hit.vectorDistance = candidate.vector?.distance ?? distances[candidate.id]
                hit.fusedScore = candidate.score
                return hit
            }
            return SearchResults(hits: hits, hiddenCandidates: hidden.count)
        }
    }

    /// Which approximate index the vectors have.
    public enum VectorIndexKind: Sendable, Equatable {
        /// pgvector's graph index, made with the table (`PostgresSchema.vectorIndex`).
        case hnsw
        /// Lists by k-means over the rows present when it was built.
        case ivfflat(lists: Int)
    }

    /// Rebuilds the vector index for the corpus as it is now: IVFFlat with one list per thousand
    /// vectors once there are at least `ivfflatFrom`, HNSW below that. On the benchmark's
    /// near-duplicate million IVFFlat reaches recall@10 0.952 where HNSW stays at 0.41
    /// (bench/RESULTS.md); IVFFlat's lists must come from the data, so run this after a large
    /// load and again as the corpus grows several-fold (`ragd` will do it by itself next).
    ///
    /// Built `CONCURRENTLY` beside the old index, which answers until the new one replaces it:
    /// neither searches nor ingest wait for the build.
    @discardableResult
    public func rebuildVectorIndex(ivfflatFrom: Int = 100_000) async throws -> VectorIndexKind {
        try await run("Rebuilding the vector index") {
            try await client.withConnection { connection in
                let rows = try await connection.query("SELECT count(*) FROM chunk_vector", logger: logger)
                    .decode(Int.self).first { _ in true } ?? 0
                let kind: VectorIndexKind = rows >= ivfflatFrom ? .ivfflat(lists: max(10, rows / 1_000)) : .hnsw
                let definition: String
                switch kind {
                case .hnsw: definition = PostgresSchema.vectorIndex
                case .ivfflat(let lists): definition = PostgresSchema.ivfflatIndex(lists: lists)
                }
                let building = definition.replacingOccurrences(
                    of: "CREATE INDEX chunk_vector_ann", with: "CREATE INDEX CONCURRENTLY chunk_vector_ann_next")
                try await connection.query("DROP INDEX IF EXISTS chunk_vector_ann_next", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: building), logger: logger)
                try await connection.query("DROP INDEX CONCURRENTLY IF EXISTS chunk_vector_ann", logger: logger)
                try await connection.query("ALTER INDEX chunk_vector_ann_next RENAME TO chunk_vector_ann", logger: logger)
                return kind
            }
        }
    }

    /// The vector index the table has now.
    public func vectorIndexKind() async throws -> VectorIndexKind {
        try await run("Reading the vector index") {
            let definition = try await client.query(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'chunk_vector_ann'", logger: logger
            ).decode(String.self).first { _ in true } ?? ""
            guard definition.contains("ivfflat") else { return .hnsw }
            let lists = definition.split(separator: "=").last.flatMap { Int($0.filter(\.isNumber)) } ?? 0
            return .ivfflat(lists: lists)
        }
    }

    /// pgvector's exact nearest neighbours, every vector compared (index scans off, no parallel
    /// workers): the reference the HNSW search is measured against.
    public func exactNearest(vector: [Float], limit: Int) async throws -> [(Int64, Double)] {
        try await transaction("Searching exactly") { connection in
            try await connection.query("SET LOCAL enable_indexscan = off", logger: logger)
            try await connection.query("SET LOCAL max_parallel_workers_per_gather = 0", logger: logger)
            var nearest: [(Int64, Double)] = []
            for try await (id, distance) in try await connection.query("""
                SELECT chunk_id, embedding <=> \(Self.vectorText(vector))::vector AS distance
                FROM chunk_vector ORDER BY distance LIMIT \(limit)
                """, logger: logger).decode((Int64, Double).self) { nearest.append((id, distance)) }
            return nearest
        }
    }

    // MARK: Helpers

    /// Which of a question's lexemes full text ranks by, so that its cost stays bounded as the
    /// corpus grows (as `FullTextPlanner` does for FTS5): rarest first while the chunks holding
    /// them add up to at most `budget`; a lexeme more common than that is left to the vectors.
    ///
    /// How common a lexeme is comes from PostgreSQL's own statistics of the `fts` column
    /// (`pg_stats.most_common_elems` and their frequencies, which ANALYZE and autovacuum keep):
    /// one catalogue read per search, no scan. A lexeme not among the most common is rarer than
    /// the least common listed, so it is kept; before the first ANALYZE every lexeme is kept.
    static func plannedLexemes(_ connection: PostgresConnection, text: String, budget: Int, logger: Logger)
        async throws -> [String]
    {
        var estimates: [(String, Double)] = []
        for try await (lexeme, chunks) in try await connection.query("""
            WITH words AS (SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', \(text))) AS t(lexeme)),
                 stats AS (
                    SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs AS freqs,
                           greatest(c.reltuples, 0) AS rows
                    FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = to_regnamespace(s.schemaname)
                    WHERE s.schemaname = current_schema() AND s.tablename = 'chunk' AND s.attname = 'fts')
            SELECT w.lexeme, coalesce(st.freqs[array_position(st.elems, w.lexeme)] * st.rows, 0)::float8
            FROM words w LEFT JOIN stats st ON true
            """, logger: logger).decode((String, Double).self) { estimates.append((lexeme, chunks)) }
        var kept: [String] = []
        var total = 0.0
        for (lexeme, chunks) in estimates.sorted(by: { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 })
        where total + chunks <= Double(budget) {
            kept.append(lexeme)
            total += chunks
        }
        return kept
    }

    /// The reader's groups as the queries bind them; nil: unrestricted.
    static func readerGroups(_ access: AccessFilter) -> [String]? {
        switch access {
        case .unrestricted: return nil
        case .groups(let groups): return groups.sorted()
        }
    }

    /// pgvector's text form, `[0.1,0.2,…]`.
    static func vectorText(_ vector: [Float]) -> String {
        "[" + vector.map { String($0) }.joined(separator: ",") + "]"
    }

    private func run<T: Sendable>(_ doing: String, _ body: () async throws -> T) async throws -> T {
        try await reportingFailure(doing, body)
    }

    private func transaction<T: Sendable>(_ doing: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await reportingFailure(doing) {
            try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    static func sources(_ rows: PostgresRowSequence) async throws -> [SourceRecord] {
        var sources: [SourceRecord] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            var source = SourceRecord(
                id: try r["id"].decode(Int64.self), root: try r["root"].decode(String.self),
                name: try r["name"].decode(String.self), groups: GroupList.encode(try r["groups"].decode([String].self)),
                createdAt: try r["created_at"].decode(Date.self), lastIngestAt: try r["last_ingest_at"].decode(Date?.self))
            source.onPremOnly = try r["on_prem_only"].decode(Bool.self)
            sources.append(source)
        }
        return sources
    }

    static func documents(_ rows: PostgresRowSequence) async throws -> [DocumentRecord] {
        var documents: [DocumentRecord] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            guard let status = DocumentStatus(rawValue: try r["status"].decode(String.self)) else {
                throw StoreError(.invalid, "A document has a status this ragd does not know.")
            }
            documents.append(DocumentRecord(
                id: try r["id"].decode(Int64.self), sourceId: try r["source_id"].decode(Int64?.self),
                path: try r["path"].decode(String.self), title: try r["title"].decode(String?.self),
                author: try r["author"].decode(String?.self), format: try r["format"].decode(String.self),
                groups: GroupList.encode(try r["groups"].decode([String].self)),
                contentSHA256: try r["content_sha256"].decode(String?.self), sizeBytes: try r["size_bytes"].decode(Int64?.self),
                version: try r["version"].decode(Int.self), status: status, error: try r["error"].decode(String?.self),
                pages: try r["pages"].decode(Int?.self), pagesWithoutText: try r["pages_without_text"].decode(Int.self),
                chunkCount: try r["chunk_count"].decode(Int.self), createdAt: try r["created_at"].decode(Date?.self),
                modifiedAt: try r["modified_at"].decode(Date?.self), ingestedAt: try r["ingested_at"].decode(Date.self),
                checkedAt: try r["checked_at"].decode(Date.self)))
        }
        return documents
    }
}
