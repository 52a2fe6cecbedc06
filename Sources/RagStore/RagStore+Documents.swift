import Foundation
import GRDB
import RagCore

/// What ingestion learned about a file, ready to be written.
public struct DocumentUpdate: Sendable {
    public var path: String
    public var sourceId: Int64?
    public var contentSHA256: String
    public var sizeBytes: Int64
    public var format: DocumentFormat
    public var title: String?
    public var author: String?
    public var created: Date?
    public var modified: Date?
    public var pages: Int?
    public var pagesWithoutText: Int
    public var usedOCR: Bool

    public init(path: String, sourceId: Int64?, contentSHA256: String, sizeBytes: Int64, format: DocumentFormat,
                title: String?, author: String?, created: Date?, modified: Date?, pages: Int?, pagesWithoutText: Int,
                usedOCR: Bool) {
        self.path = path
        self.sourceId = sourceId
        self.contentSHA256 = contentSHA256
        self.sizeBytes = sizeBytes
        self.format = format
        self.title = title
        self.author = author
        self.created = created
        self.modified = modified
        self.pages = pages
        self.pagesWithoutText = pagesWithoutText
        self.usedOCR = usedOCR
    }
}

extension RagStore {
    /// The source for `root`, created if new.
    public func source(root: String, name: String? = nil) throws -> SourceRecord {
        try writer.write { db in
            if let existing = try SourceRecord.filter(Column("root") == root).fetchOne(db) { return existing }
            var source = SourceRecord(
                id: nil, root: root, name: name ?? (root as NSString).lastPathComponent, groups: "[]",
                createdAt: Date(), lastIngestAt: nil)
            try source.insert(db)
            return source
        }
    }

    public func markIngested(sourceId: Int64) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE source SET last_ingest_at = ? WHERE id = ?", arguments: [Date(), sourceId])
        }
    }

    /// The document stored for `path`, if any.
    public func document(path: String) throws -> DocumentRecord? {
        try writer.read { db in try DocumentRecord.filter(Column("path") == path).fetchOne(db) }
    }

    public func document(id: Int64) throws -> DocumentRecord? {
        try writer.read { db in try DocumentRecord.fetchOne(db, key: id) }
    }

    /// Notes that an unchanged file was seen again (no other change).
    public func markChecked(documentId: Int64) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE document SET checked_at = ? WHERE id = ?", arguments: [Date(), documentId])
        }
    }

    /// Replaces a document's chunks, vectors and full-text rows in one transaction and bumps
    /// its version. Readers see either the old document or the new one, never a mix.
    /// - Parameter generation: the vector index the vectors were made for (`ActiveVectorIndex`);
    ///   nil: the index active when the store was opened, whose model is the configured one.
    /// - Returns: the stored document.
    /// - Throws: `StoreError(.indexSwitched)` when another model's index became active meanwhile.
    @discardableResult
    public func replaceDocument(_ update: DocumentUpdate, chunks: [Chunk], vectors: [[Float]],
                                generation: Int64? = nil) throws -> DocumentRecord {
        precondition(chunks.count == vectors.count, "one vector per chunk")
        let now = Date()
        let generation = generation ?? openedIndex.generation
        return try writer.write { db in
            guard try ActiveVectorIndex.fetch(db).generation == generation else {
                throw StoreError(
                    .indexSwitched,
                    "The vector index was switched to another embedding model while \(update.path) was embedded.")
            }
            var document = try DocumentRecord.filter(Column("path") == update.path).fetchOne(db)
                ?? DocumentRecord(
                    id: nil, sourceId: update.sourceId, path: update.path, title: nil, author: nil,
                    format: update.format.rawValue, groups: "[]", contentSHA256: nil, sizeBytes: nil, version: 0, status: .ingested,
                    error: nil, pages: nil, pagesWithoutText: 0, chunkCount: 0, createdAt: nil, modifiedAt: nil,
                    ingestedAt: now, checkedAt: now)
            document.sourceId = update.sourceId ?? document.sourceId
            if let sourceId = document.sourceId,
               let groups = try String.fetchOne(db, sql: "SELECT groups FROM source WHERE id = ?", arguments: [sourceId]) {
                document.groups = groups
            }
            document.title = update.title
            document.author = update.author
            document.format = update.format.rawValue
            document.contentSHA256 = update.contentSHA256
            document.sizeBytes = update.sizeBytes
            document.version += 1
            document.status = update.usedOCR ? .ingestedOCR : .ingested
            document.error = nil
            document.pages = update.pages
            document.pagesWithoutText = update.pagesWithoutText
            document.chunkCount = chunks.count
            document.createdAt = update.created
            document.modifiedAt = update.modified
            document.ingestedAt = now
            document.checkedAt = now
            try document.save(db)
            let documentId = document.id!
            // Old chunks go with their FTS rows and vectors (triggers).
            try db.execute(sql: "DELETE FROM chunk WHERE document_id = ?", arguments: [documentId])
            let insertVector = try db.makeStatement(
                sql: "INSERT INTO chunk_vec(chunk_id, embedding, document_id) VALUES (?, ?, ?)")
            let insertCode = try db.makeStatement(
                sql: "INSERT INTO chunk_vector(chunk_id, document_id, code, embedding) VALUES (?, ?, ?, ?)")
            for (chunk, vector) in zip(chunks, vectors) {
                var record = ChunkRecord(chunk, documentId: documentId)
                try record.insert(db)
                let blob = VectorBlob.encode(vector)
                try insertVector.execute(arguments: [record.id!, blob, documentId])
                try insertCode.execute(arguments: [record.id!, documentId, QuantizedVectorIndex.code(vector), blob])
            }
            // The change log only has to reach back as far as the slowest in-memory copy; one
            // further behind reloads in full.
            try db.execute(
                sql: "DELETE FROM chunk_vector_change WHERE seq <= (SELECT max(seq) FROM chunk_vector_change) - ?",
                arguments: [QuantizedVectorIndex.changeLogLength])
            return document
        }
    }

    /// Records that a file could not be ingested. A previously ingested version keeps its
    /// chunks (still searchable) and the error says so.
    public func recordFailure(path: String, sourceId: Int64?, format: DocumentFormat?, contentSHA256: String?,
                              sizeBytes: Int64?, status: DocumentStatus, error: String) throws {
        let now = Date()
        try writer.write { db in
            if var document = try DocumentRecord.filter(Column("path") == path).fetchOne(db) {
                let kept = document.chunkCount > 0
                document.status = status
                document.error = kept
                    ? error + " (version \(document.version) stays searchable until the file is fixed or removed)"
                    : error
                document.contentSHA256 = contentSHA256
                document.sizeBytes = sizeBytes
                document.checkedAt = now
                try document.update(db)
            } else {
                // The source's groups apply to failed files too: their rows (and any download) stay restricted.
                let groups = try sourceId.flatMap {
                    try String.fetchOne(db, sql: "SELECT groups FROM source WHERE id = ?", arguments: [$0])
                } ?? "[]"
                var document = DocumentRecord(
                    id: nil, sourceId: sourceId, path: path, title: nil, author: nil, format: format?.rawValue ?? "unknown",
                    groups: groups,
                    contentSHA256: contentSHA256, sizeBytes: sizeBytes, version: 0, status: status, error: error,
                    pages: nil, pagesWithoutText: 0, chunkCount: 0, createdAt: nil, modifiedAt: nil,
                    ingestedAt: now, checkedAt: now)
                try document.insert(db)
            }
        }
    }

    /// Removes the documents of a source whose files are gone, with their chunks, vectors and
    /// full-text rows. - Returns: the removed paths.
    public func removeDocuments(sourceId: Int64, keeping seen: Set<String>) throws -> [String] {
        try writer.write { db in
            let paths = try String.fetchAll(db, sql: "SELECT path FROM document WHERE source_id = ?", arguments: [sourceId])
            let gone = paths.filter { !seen.contains($0) }
            for path in gone {
                try db.execute(sql: "DELETE FROM document WHERE path = ?", arguments: [path])
            }
            return gone
        }
    }

    /// Deletes one document with everything derived from it. - Returns: whether it existed.
    @discardableResult
    public func deleteDocument(id: Int64) throws -> Bool {
        try writer.write { db in try DocumentRecord.deleteOne(db, key: id) }
    }

    /// All documents, newest first.
    public func documents() throws -> [DocumentRecord] {
        try writer.read { db in try DocumentRecord.order(Column("path")).fetchAll(db) }
    }

    /// Chunks of a document, in order.
    public func chunks(documentId: Int64) throws -> [ChunkRecord] {
        try writer.read { db in
            try ChunkRecord.filter(Column("document_id") == documentId).order(Column("ordinal")).fetchAll(db)
        }
    }

    /// Row counts of the three chunk tables, which must agree.
    public func indexCounts() throws -> (chunks: Int, fullText: Int, vectors: Int) {
        try writer.read { db in
            let chunks = try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk") ?? 0
            let fts = try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk_fts") ?? 0
            let vec = try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk_vec") ?? 0
            return (chunks, fts, vec)
        }
    }
}

/// sqlite-vec's float32 vector format: little-endian IEEE 754, packed.
public enum VectorBlob {
    public static func encode(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    public static func decode(_ data: Data) -> [Float] {
        data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
