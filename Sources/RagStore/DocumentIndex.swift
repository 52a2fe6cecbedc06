import Foundation
import RagCore

/// Sources, documents, their chunks and vectors, and search over them, as every store offers
/// them: `RagStore` in one SQLite file (FTS5, sqlite-vec and an in-memory quantized index), and
/// the PostgreSQL store (RagPostgres: full-text search and pgvector) that several nodes share.
///
/// The rules both keep:
/// - a document's chunks and vectors are replaced in one transaction and its version goes up:
///   a search sees the old document or the new one, never a mix;
/// - access control is inside the query of every search: a chunk of a document the reader may
///   not read never leaves the database for them (`AccessFilter`); a document's groups are its
///   source's, and change with them at once;
/// - deleting a source or a document deletes everything derived from it;
/// - hybrid search fuses the full-text and the vector ranking by reciprocal rank fusion
///   (`RankFusion`), and every hit carries its cosine distance to the query where one is known.
public protocol DocumentIndex: Sendable {
    /// The source for `root`, created (readable by everyone) if new.
    func source(root: String, name: String?) async throws -> SourceRecord

    /// Adds a source folder with its groups, or updates the groups of an existing one.
    @discardableResult
    func addSource(root: String, name: String?, groups: [String]) async throws -> SourceRecord

    /// Changes a source's groups, and its documents' with them, in one transaction.
    /// - Throws: `StoreError(.notFound)` for an unknown source.
    func setSourceGroups(id: Int64, groups: [String]) async throws

    /// Removes a source with everything derived from it. - Returns: the documents removed.
    @discardableResult
    func removeSource(id: Int64) async throws -> Int

    func document(path: String) async throws -> DocumentRecord?
    func document(id: Int64) async throws -> DocumentRecord?

    /// All documents, by path.
    func documents() async throws -> [DocumentRecord]

    /// A document's chunks, in order.
    func chunks(documentId: Int64) async throws -> [ChunkRecord]

    /// Replaces a document's chunks and vectors in one transaction and bumps its version.
    /// - Parameter generation: the vector index the vectors were made for; nil: the active one.
    @discardableResult
    func replaceDocument(_ update: DocumentUpdate, chunks: [Chunk], vectors: [[Float]], generation: Int64?)
        async throws -> DocumentRecord

    /// Records that a file could not be ingested; a version ingested before stays searchable.
    func recordFailure(path: String, sourceId: Int64?, format: DocumentFormat?, contentSHA256: String?,
                       sizeBytes: Int64?, status: DocumentStatus, error: String) async throws

    /// Removes a source's documents whose files are gone. - Returns: their paths.
    func removeDocuments(sourceId: Int64, keeping seen: Set<String>) async throws -> [String]

    /// Deletes one document with everything derived from it. - Returns: whether it existed.
    @discardableResult
    func deleteDocument(id: Int64) async throws -> Bool

    /// Ranks chunks for a query, the access filter applied inside the queries, and counts the
    /// candidates the filter hid.
    func searchResults(_ request: SearchRequest) async throws -> SearchResults
}

extension RagStore: DocumentIndex {}

/// Reciprocal rank fusion of a full-text and a vector ranking: a chunk gains
/// weight / (k + rank) from each list it is in (Cormack et al., 2009). The same in every store.
public enum RankFusion {
    /// Ranks are damped by k + rank.
    public static let k = 60.0

    /// A fused candidate: its score, and its rank and score in each list it came from.
    public struct Fused: Sendable {
        public var id: Int64
        public var score: Double
        public var bm25: (rank: Int, score: Double)?
        public var vector: (rank: Int, distance: Double)?
    }

    /// The best `limit` of both rankings (each best first), ties broken by the smaller id.
    public static func fuse(bm25: [(Int64, Double)], vector: [(Int64, Double)], weights: FusionWeights, limit: Int)
        -> [Fused]
    {
        var fused: [Int64: Fused] = [:]
        for (i, (id, score)) in bm25.enumerated() {
            fused[id, default: Fused(id: id, score: 0)].score += weights.bm25 / (k + Double(i + 1))
            fused[id]!.bm25 = (i + 1, score)
        }
        for (i, (id, distance)) in vector.enumerated() {
            fused[id, default: Fused(id: id, score: 0)].score += weights.vector / (k + Double(i + 1))
            fused[id]!.vector = (i + 1, distance)
        }
        return Array(fused.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(limit))
    }
}
