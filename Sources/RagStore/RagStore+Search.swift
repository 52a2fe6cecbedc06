import Foundation
import GRDB
import GRDBSQLite
import RagCore
import Synchronization

/// How to rank candidates.
public enum SearchMethod: String, Sendable, CaseIterable, Codable {
    /// FTS5 BM25 over chunk text and section path.
    case bm25
    /// sqlite-vec nearest neighbours of the query embedding.
    case vector
    /// Both, fused by reciprocal rank fusion.
    case hybrid
}

/// How much each ranking counts in reciprocal rank fusion: a chunk gains weight / (k + rank)
/// from each list it is in.
public struct FusionWeights: Sendable, Equatable {
    public var bm25: Double
    public var vector: Double
    public init(bm25: Double, vector: Double) {
        self.bm25 = bm25
        self.vector = vector
    }
    /// Plain RRF: both lists count the same.
    public static let standard = FusionWeights(bm25: 1, vector: 1)
}

/// A search request. The query vector is computed by the caller (embedding is not the store's job).
public struct SearchRequest: Sendable {
    public var text: String
    public var vector: [Float]?
    public var method: SearchMethod
    public var limit: Int
    /// Candidates taken from each ranking before fusion.
    public var candidates: Int
    public var access: AccessFilter
    /// Candidates re-scored with full-precision vectors (nil: the store's setting).
    public var rescoreCandidates: Int?
    /// Hybrid only: how much each ranking counts.
    public var fusion = FusionWeights.standard
    /// The generation of the vector index `vector` was embedded for (`ActiveVectorIndex`): a
    /// search after a switch to another model's index throws `StoreError(.indexSwitched)`
    /// instead of comparing vectors of two models. nil: the store's active index is assumed.
    public var indexGeneration: Int64?

    public init(text: String, vector: [Float]?, method: SearchMethod = .hybrid, limit: Int = 10,
                candidates: Int = 50, access: AccessFilter = .unrestricted, rescoreCandidates: Int? = nil) {
        self.rescoreCandidates = rescoreCandidates
        self.text = text
        self.vector = vector
        self.method = method
        self.limit = limit
        self.candidates = candidates
        self.access = access
    }
}

/// A retrieved chunk with its document and its scores.
public struct SearchHit: Sendable, Equatable {
    public var chunkId: Int64
    public var documentId: Int64
    public var text: String
    public var sectionPath: String
    public var anchor: String?
    public var pageStart: Int?
    public var pageEnd: Int?
    public var origin: String
    public var documentPath: String
    public var documentTitle: String?
    public var documentFormat: DocumentFormat
    public var documentVersion: Int
    public var documentSHA256: String?
    /// 1-based rank in the BM25 list, and FTS5's bm25() value (lower is better), if found there.
    public var bm25Rank: Int?
    public var bm25Score: Double?
    /// 1-based rank in the vector list, and the cosine distance (0 = same direction), if found there.
    public var vectorRank: Int?
    public var vectorDistance: Double?
    /// Reciprocal rank fusion score (higher is better).
    public var fusedScore: Double
    /// The document's source keeps its passages from the larger model.
    public var onPremOnly: Bool = false

    /// Cosine similarity to the query, where known.
    public var similarity: Double? { vectorDistance.map { 1 - $0 } }

    public init(chunkId: Int64, documentId: Int64, text: String, sectionPath: String, anchor: String?, pageStart: Int?,
                pageEnd: Int?, origin: String, documentPath: String, documentTitle: String?, documentFormat: DocumentFormat,
                documentVersion: Int, documentSHA256: String?, bm25Rank: Int?, bm25Score: Double?, vectorRank: Int?,
                vectorDistance: Double?, fusedScore: Double) {
        self.chunkId = chunkId
        self.documentId = documentId
        self.text = text
        self.sectionPath = sectionPath
        self.anchor = anchor
        self.pageStart = pageStart
        self.pageEnd = pageEnd
        self.origin = origin
        self.documentPath = documentPath
        self.documentTitle = documentTitle
        self.documentFormat = documentFormat
        self.documentVersion = documentVersion
        self.documentSHA256 = documentSHA256
        self.bm25Rank = bm25Rank
        self.bm25Score = bm25Score
        self.vectorRank = vectorRank
        self.vectorDistance = vectorDistance
        self.fusedScore = fusedScore
    }
}

/// A search's hits, and how many candidates the access filter hid from the reader.
public struct SearchResults: Sendable {
    public var hits: [SearchHit]
    /// How many chunks among each ranking's first `candidates` of everyone's documents (full
    /// text by BM25, vectors by the index's binary codes) the reader may not see, counted once.
    /// A count for the audit log, never which chunks; 0 for `.unrestricted`.
    public var hiddenCandidates: Int

    public init(hits: [SearchHit], hiddenCandidates: Int) {
        self.hits = hits
        self.hiddenCandidates = hiddenCandidates
    }
}

extension RagStore {
    /// Ranks chunks for a query, with the access filter applied inside each SQL statement.
    /// - Throws: GRDB's `DatabaseError`.
    public func search(_ request: SearchRequest) throws -> [SearchHit] {
        try searchResults(request).hits
    }

    /// Ranks chunks for a query as `search` does, and counts in the same rankings the
    /// candidates the access filter hid (`SearchResults.hiddenCandidates`).
    /// - Throws: GRDB's `DatabaseError`.
    public func searchResults(_ request: SearchRequest) throws -> SearchResults {
        let wantsText = request.method != .vector
        let wantsVector = request.method != .bm25 && request.vector != nil
        @Sendable func fullTextRanking() throws -> Ranking {
            try writer.read { db in
                guard let match = try fullTextPlanner.match(db, text: request.text) else { return Ranking() }
                return try Self.fullText(db, match: match, limit: request.candidates, access: request.access)
            }
        }
        @Sendable func vectorRanking() throws -> Ranking {
            guard let query = request.vector else { return Ranking() }
            return try writer.read { db in
                try nearest(db, vector: query, limit: request.candidates, access: request.access,
                            rescore: request.rescoreCandidates ?? configuration.rescoreCandidates,
                            generation: request.indexGeneration)
            }
        }
        var bm25 = Ranking()
        var vector = Ranking()
        if wantsText && wantsVector {
            // Each ranking on its own reader connection and thread: on two cores a hybrid search
            // takes about as long as the slower ranking instead of the sum of both.
            let results = Mutex<[Result<Ranking, any Error>?]>([nil, nil])
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let result = Result { i == 0 ? try fullTextRanking() : try vectorRanking() }
                results.withLock { $0[i] = result }
            }
            let (text, nearest) = results.withLock { ($0[0]!, $0[1]!) }
            bm25 = try text.get()
            vector = try nearest.get()
        } else if wantsText {
            bm25 = try fullTextRanking()
        } else if wantsVector {
            vector = try vectorRanking()
        }
        let rankings = (bm25: bm25, vector: vector)
        let found = try writer.read { db in
            try self.hits(db, request, bm25: rankings.bm25.ranked, vector: rankings.vector.ranked)
        }
        return SearchResults(hits: found, hiddenCandidates: bm25.hidden.union(vector.hidden).count)
    }

    /// One ranking's candidates for the reader, best first, and the chunks among everyone's
    /// first candidates that the access filter hid.
    struct Ranking: Sendable {
        var ranked: [(Int64, Double)] = []
        var hidden: Set<Int64> = []
    }

    /// Fuses the two rankings and reads the hits' chunks and documents.
    private func hits(_ db: Database, _ request: SearchRequest, bm25: [(Int64, Double)], vector: [(Int64, Double)]) throws
        -> [SearchHit]
    {
        let ranked = RankFusion.fuse(bm25: bm25, vector: vector, weights: request.fusion, limit: request.limit)
        guard !ranked.isEmpty else { return [] }
        let ids = ranked.map(\.id)
        let onlyByText = ranked.filter { $0.vector == nil }.map(\.id)
        let rows = try Row.fetchAll(db, sql: """
            SELECT c.id, c.document_id, c.text, c.section_path, c.anchor, c.page_start, c.page_end, c.origin,
                   d.path, d.title, d.format, d.version, d.content_sha256, coalesce(s.on_prem_only, 0) AS on_prem_only
            FROM chunk c JOIN document d ON d.id = c.document_id LEFT JOIN source s ON s.id = d.source_id
            WHERE c.id IN (SELECT value FROM json_each(?))
            """, arguments: ["[" + ids.map(String.init).joined(separator: ",") + "]"])
        var byId: [Int64: Row] = [:]
        for row in rows { byId[row["id"]] = row }
        // Every hit gets its similarity to the query, also those only BM25 found: callers judge
        // retrieval confidence on one scale.
        var distances: [Int64: Double] = [:]
        if let query = request.vector {
            for (id, distance) in try Self.cosineDistances(db, query: query, ids: onlyByText) {
                distances[id] = distance
            }
        }
        return ranked.compactMap { value in
            let id = value.id
            guard let row = byId[id] else { return nil }
            var hit = SearchHit(
                chunkId: id, documentId: row["document_id"], text: row["text"], sectionPath: row["section_path"],
                anchor: row["anchor"], pageStart: row["page_start"], pageEnd: row["page_end"], origin: row["origin"],
                documentPath: row["path"], documentTitle: row["title"], documentFormat: DocumentFormat(rawValue: row["format"]) ?? .text,
                documentVersion: row["version"], documentSHA256: row["content_sha256"],
                bm25Rank: value.bm25?.rank, bm25Score: value.bm25?.score, vectorRank: value.vector?.rank,
                vectorDistance: value.vector?.distance ?? distances[id], fusedScore: value.score)
            hit.onPremOnly = row["on_prem_only"]
            return hit
        }
    }

    /// BM25 over text (weight 1) and section path (weight 2: headings name the topic).
    ///
    /// For a restricted reader one statement ranks everyone's matches with the access condition
    /// as a column: the reader's first `limit` are the ranking, and those the condition fails
    /// among everyone's first `limit` are the hidden ones.
    static func fullText(_ db: Database, match: String, limit: Int, access: AccessFilter) throws -> Ranking {
        if case .unrestricted = access {
            let ranked: [(Int64, Double)] = try Row.fetchAll(db, sql: """
                SELECT rowid AS id, bm25(chunk_fts, 1.0, 2.0) AS score FROM chunk_fts
                WHERE chunk_fts MATCH ? ORDER BY score LIMIT ?
                """, arguments: [match, limit]).map { ($0["id"], $0["score"]) }
            return Ranking(ranked: ranked)
        }
        let filter = access.documentCondition
        let rows = try Row.fetchCursor(db, sql: """
            SELECT f.rowid AS id, bm25(chunk_fts, 1.0, 2.0) AS score, (\(filter.sql)) AS readable
            FROM chunk_fts f
            JOIN chunk c ON c.id = f.rowid
            JOIN document d ON d.id = c.document_id
            WHERE chunk_fts MATCH ?
            ORDER BY score
            """, arguments: StatementArguments(filter.arguments.map { $0 as any DatabaseValueConvertible } + [match]))
        var ranking = Ranking()
        var seen = 0
        while ranking.ranked.count < limit || seen < limit, let row = try rows.next() {
            seen += 1
            if row["readable"] as Bool {
                if ranking.ranked.count < limit { ranking.ranked.append((row["id"], row["score"])) }
            } else if seen <= limit {
                ranking.hidden.insert(row["id"])
            }
        }
        return ranking
    }

    /// Throws `.indexSwitched` when `request`'s vector was made for an index that is no longer active.
    static func checkIndex(_ db: Database, _ request: SearchRequest) throws {
        guard let generation = request.indexGeneration else { return }
        if try ActiveVectorIndex.fetch(db).generation != generation {
            throw StoreError(.indexSwitched, "The vector index was switched to another embedding model during this search.")
        }
    }

    /// Reads the binary codes of all vectors into memory (the first search does it otherwise).
    public func loadVectorIndex() throws {
        _ = try writer.read { db in try vectorIndex.snapshot(db) }
    }

    /// Nearest neighbours by cosine distance among readable documents: the `rescore` nearest by
    /// binary code (QuantizedVectorIndex), re-scored with their float32 vectors. Exact when the
    /// readable chunks number no more than `rescore`.
    /// For a restricted reader the same scan finds which of everyone's `limit` nearest (by
    /// binary code) the filter hid.
    func nearest(_ db: Database, vector: [Float], limit: Int, access: AccessFilter, rescore: Int,
                 generation: Int64? = nil) throws -> Ranking {
        let snapshot = try vectorIndex.snapshot(db)
        if let generation, generation != snapshot.generation {
            throw StoreError(.indexSwitched, "The vector index was switched to another embedding model during this search.")
        }
        guard snapshot.count == 0 || vector.count == snapshot.dimensions else {
            throw StoreError(
                .embeddingMismatch,
                "A \(vector.count)-dimension query against the active index of \(snapshot.dimensions) dimensions.")
        }
        var readable: ((Int64) -> Bool)?
        if case .groups = access {
            // Readable documents as a bitmap by id; the filter is the same SQL condition as everywhere.
            let filter = access.documentCondition
            let ids = try Int64.fetchAll(db, sql: "SELECT d.id FROM document d WHERE \(filter.sql)",
                                         arguments: StatementArguments(filter.arguments))
            var bitmap = [Bool](repeating: false, count: Int(ids.max() ?? 0) + 1)
            for id in ids { bitmap[Int(id)] = true }
            readable = { id in id >= 0 && id < bitmap.count && bitmap[Int(id)] }
        }
        let candidates = vectorIndex.candidates(
            snapshot, query: vector, count: max(limit, rescore), readable: readable, hiddenWindow: readable == nil ? 0 : limit)
        let scored = try Self.cosineDistances(db, query: vector, ids: candidates.ids)
        return Ranking(ranked: Array(scored.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.prefix(limit)),
                       hidden: Set(candidates.hidden))
    }

    /// Cosine distances (as sqlite-vec's `vec_distance_cosine`) from `query` to the stored
    /// float32 vectors of `ids`; ids without a vector are left out.
    static func cosineDistances(_ db: Database, query: [Float], ids: [Int64]) throws -> [(Int64, Double)] {
        guard !ids.isEmpty else { return [] }
        // A few hundred rowid lookups per query: the C API straight on GRDB's cached statement,
        // copying each blob into one reused buffer (no allocation per row).
        let statement = try db.cachedStatement(sql: "SELECT embedding FROM chunk_vector WHERE chunk_id = ?")
        let handle = statement.sqliteStatement
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        var queryNorm: Float = 0
        for x in query { queryNorm += x * x }
        var vector = [Float](repeating: 0, count: query.count)
        var out: [(Int64, Double)] = []
        out.reserveCapacity(ids.count)
        for id in ids {
            sqlite3_reset(handle)
            sqlite3_bind_int64(handle, 1, id)
            let status = sqlite3_step(handle)
            guard status == SQLITE_ROW else {
                if status == SQLITE_DONE { continue }
                throw DatabaseError(resultCode: ResultCode(rawValue: status), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            let bytes = min(Int(sqlite3_column_bytes(handle, 0)), query.count * MemoryLayout<Float>.size)
            guard bytes > 0, let blob = sqlite3_column_blob(handle, 0) else { continue }
            vector.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: blob, byteCount: bytes) }
            var dot: Float = 0, norm: Float = 0
            for i in 0..<(bytes / MemoryLayout<Float>.size) {
                dot += vector[i] * query[i]
                norm += vector[i] * vector[i]
            }
            let denominator = (norm * queryNorm).squareRoot()
            out.append((id, denominator > 0 ? Double(1 - dot / denominator) : 1))
        }
        return out
    }

    /// sqlite-vec's exact nearest-neighbour scan over every float32 vector (`chunk_vec`), with the
    /// access filter inside the scan: the reference the quantized search is measured against.
    public func exactNearest(vector: [Float], limit: Int, access: AccessFilter = .unrestricted) throws -> [(Int64, Double)] {
        try writer.read { db in
            let blob = VectorBlob.encode(vector)
            let rows: [Row]
            switch access {
            case .unrestricted:
                rows = try Row.fetchAll(db, sql: """
                    SELECT chunk_id, distance FROM chunk_vec WHERE embedding MATCH ? AND k = ? ORDER BY distance
                    """, arguments: [blob, limit])
            case .groups:
                let filter = access.documentCondition
                rows = try Row.fetchAll(db, sql: """
                    SELECT chunk_id, distance FROM chunk_vec
                    WHERE embedding MATCH ? AND k = ?
                      AND document_id IN (SELECT d.id FROM document d WHERE \(filter.sql))
                    ORDER BY distance
                    """, arguments: StatementArguments([blob, limit] as [any DatabaseValueConvertible] + filter.arguments))
            }
            return rows.map { ($0["chunk_id"], $0["distance"]) }
        }
    }
}
