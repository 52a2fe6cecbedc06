import Foundation
import GRDB

/// How to rank candidates.
public enum SearchMethod: String, Sendable, CaseIterable, Codable {
    /// FTS5 BM25 over chunk text and section path.
    case bm25
    /// sqlite-vec nearest neighbours of the query embedding.
    case vector
    /// Both, fused by reciprocal rank fusion.
    case hybrid
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

    public init(text: String, vector: [Float]?, method: SearchMethod = .hybrid, limit: Int = 10,
                candidates: Int = 50, access: AccessFilter = .unrestricted) {
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
    public var documentFormat: String
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

    /// Cosine similarity to the query, where known.
    public var similarity: Double? { vectorDistance.map { 1 - $0 } }
}

extension RagStore {
    /// Reciprocal rank fusion's constant: ranks are damped by k + rank (Cormack et al., 2009).
    static let rrfK = 60.0

    /// Ranks chunks for a query, with the access filter applied inside each SQL statement.
    /// - Throws: GRDB's `DatabaseError`.
    public func search(_ request: SearchRequest) throws -> [SearchHit] {
        try writer.read { db in try Self.search(db, request) }
    }

    static func search(_ db: Database, _ request: SearchRequest) throws -> [SearchHit] {
        var bm25: [(Int64, Double)] = []
        var vector: [(Int64, Double)] = []
        if request.method != .vector, let match = FullTextQuery.match(request.text) {
            bm25 = try fullText(db, match: match, limit: request.candidates, access: request.access)
        }
        if request.method != .bm25, let query = request.vector {
            vector = try nearest(db, vector: query, limit: request.candidates, access: request.access)
        }
        var fused: [Int64: (score: Double, bm25: (Int, Double)?, vector: (Int, Double)?)] = [:]
        for (i, (id, score)) in bm25.enumerated() {
            fused[id, default: (0, nil, nil)].score += 1 / (rrfK + Double(i + 1))
            fused[id]!.bm25 = (i + 1, score)
        }
        for (i, (id, distance)) in vector.enumerated() {
            fused[id, default: (0, nil, nil)].score += 1 / (rrfK + Double(i + 1))
            fused[id]!.vector = (i + 1, distance)
        }
        let ranked = fused.sorted { $0.value.score != $1.value.score ? $0.value.score > $1.value.score : $0.key < $1.key }
            .prefix(request.limit)
        guard !ranked.isEmpty else { return [] }
        let ids = ranked.map(\.key)
        let rows = try Row.fetchAll(db, sql: """
            SELECT c.id, c.document_id, c.text, c.section_path, c.anchor, c.page_start, c.page_end, c.origin,
                   d.path, d.title, d.format, d.version, d.content_sha256
            FROM chunk c JOIN document d ON d.id = c.document_id
            WHERE c.id IN (SELECT value FROM json_each(?))
            """, arguments: ["[" + ids.map(String.init).joined(separator: ",") + "]"])
        var byId: [Int64: Row] = [:]
        for row in rows { byId[row["id"]] = row }
        // Every hit gets its similarity to the query, also those only BM25 found: callers judge
        // retrieval confidence on one scale.
        var distances: [Int64: Double] = [:]
        if let query = request.vector {
            let list = "[" + ids.map(String.init).joined(separator: ",") + "]"
            for row in try Row.fetchAll(db, sql: """
                SELECT chunk_id, vec_distance_cosine(embedding, ?) AS distance FROM chunk_vec
                WHERE chunk_id IN (SELECT value FROM json_each(?))
                """, arguments: [VectorBlob.encode(query), list]) {
                distances[row["chunk_id"]] = row["distance"]
            }
        }
        return ranked.compactMap { id, value in
            guard let row = byId[id] else { return nil }
            return SearchHit(
                chunkId: id, documentId: row["document_id"], text: row["text"], sectionPath: row["section_path"],
                anchor: row["anchor"], pageStart: row["page_start"], pageEnd: row["page_end"], origin: row["origin"],
                documentPath: row["path"], documentTitle: row["title"], documentFormat: row["format"],
                documentVersion: row["version"], documentSHA256: row["content_sha256"],
                bm25Rank: value.bm25?.0, bm25Score: value.bm25?.1, vectorRank: value.vector?.0,
                vectorDistance: value.vector?.1 ?? distances[id], fusedScore: value.score)
        }
    }

    /// BM25 over text (weight 1) and section path (weight 2: headings name the topic).
    static func fullText(_ db: Database, match: String, limit: Int, access: AccessFilter) throws -> [(Int64, Double)] {
        let filter = access.documentCondition
        let rows = try Row.fetchAll(db, sql: """
            SELECT f.rowid AS id, bm25(chunk_fts, 1.0, 2.0) AS score
            FROM chunk_fts f
            JOIN chunk c ON c.id = f.rowid
            JOIN document d ON d.id = c.document_id
            WHERE chunk_fts MATCH ? AND \(filter.sql)
            ORDER BY score
            LIMIT ?
            """, arguments: StatementArguments([match] + filter.arguments.map { $0 as any DatabaseValueConvertible } + [limit]))
        return rows.map { ($0["id"], $0["score"]) }
    }

    /// Nearest neighbours by cosine distance, restricted to readable documents inside the KNN scan.
    static func nearest(_ db: Database, vector: [Float], limit: Int, access: AccessFilter) throws -> [(Int64, Double)] {
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

extension RagStore {
    /// How many of the candidates a search would have ranked were hidden by the access filter:
    /// the same full-text and nearest-neighbour candidate lists without the filter, minus those
    /// the reader may see. For the audit log, which records this count and never which chunks.
    /// - Returns: 0 for `.unrestricted`.
    public func hiddenCandidateCount(_ request: SearchRequest) throws -> Int {
        guard case .groups = request.access else { return 0 }
        return try writer.read { db in
            var candidates = Set<Int64>()
            if request.method != .vector, let match = FullTextQuery.match(request.text) {
                candidates.formUnion(try Self.fullText(db, match: match, limit: request.candidates, access: .unrestricted).map(\.0))
            }
            if request.method != .bm25, let query = request.vector {
                candidates.formUnion(try Self.nearest(db, vector: query, limit: request.candidates, access: .unrestricted).map(\.0))
            }
            guard !candidates.isEmpty else { return 0 }
            let filter = request.access.documentCondition
            let visible = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM chunk c JOIN document d ON d.id = c.document_id
                WHERE c.id IN (SELECT value FROM json_each(?)) AND \(filter.sql)
                """, arguments: StatementArguments(
                    ["[" + candidates.map(String.init).joined(separator: ",") + "]"] + filter.arguments)) ?? 0
            return candidates.count - visible
        }
    }
}
