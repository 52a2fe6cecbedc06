import Foundation
import GRDB
import RagCore

/// The vector index questions are answered from: which embedding model made its vectors, and
/// its generation (bumped by every switch, so a reader can tell that the index it embedded its
/// question for is still the one it searches).
public struct ActiveVectorIndex: Sendable, Equatable {
    public var generation: Int64
    /// The model's identifier (its GGUF file name) and vector length.
    public var model: String
    public var dimensions: Int
    /// The model's file, when known (recorded by the first ingest and by every switch): a
    /// daemon whose index was switched by another process loads the new model from it.
    public var modelPath: String?

    static func fetch(_ db: Database) throws -> ActiveVectorIndex {
        let rows = try Row.fetchAll(db, sql: """
            SELECT key, value FROM store_meta
            WHERE key IN ('vector_generation', 'embedding_model', 'embedding_dimensions', 'embedding_model_path')
            """)
        var values: [String: String] = [:]
        for row in rows { values[row["key"]] = row["value"] }
        return ActiveVectorIndex(
            generation: values["vector_generation"].flatMap { Int64($0) } ?? 1,
            model: values["embedding_model"] ?? "",
            dimensions: values["embedding_dimensions"].flatMap { Int($0) } ?? 0,
            modelPath: values["embedding_model_path"])
    }
}

/// One re-embedding of every chunk with another model (`ragd reindex --embedding-model`).
public struct EmbeddingMigrationRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "embedding_migration"
    public enum Status: String, Codable, Sendable { case running, switched, cancelled, failed }

    public var id: Int64?
    public var model: String
    public var modelPath: String
    public var dimensions: Int
    public var previousModel: String
    public var status: Status
    public var requestedBy: String
    public var chunksTotal: Int
    public var chunksDone: Int
    public var workerPid: Int32?
    public var heartbeatAt: Date?
    public var message: String?
    public var createdAt: Date
    public var finishedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, model, dimensions, status, message
        case modelPath = "model_path", previousModel = "previous_model", requestedBy = "requested_by"
        case chunksTotal = "chunks_total", chunksDone = "chunks_done", workerPid = "worker_pid"
        case heartbeatAt = "heartbeat_at", createdAt = "created_at", finishedAt = "finished_at"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Whether a process other than `pid` works on it: its worker is alive (`isAlive`) and
    /// reported within `RagStore.migrationHeartbeatTimeout` of `now`.
    public func isWorked(byOtherThan pid: Int32, isAlive: (Int32) -> Bool, now: Date = Date()) -> Bool {
        guard let worker = workerPid, worker != pid, isAlive(worker), let heartbeatAt else { return false }
        return now.timeIntervalSince(heartbeatAt) < RagStore.migrationHeartbeatTimeout
    }

    /// Share done, 0...1.
    public var fraction: Double { chunksTotal > 0 ? min(1, Double(chunksDone) / Double(chunksTotal)) : 0 }
}

/// A chunk still waiting for its vector in the next index: what the embedding model reads.
public struct PendingChunk: Sendable {
    public var id: Int64
    public var documentId: Int64
    /// Section path and text, as ingest embedded them (`Chunk.embeddingText`).
    public var embeddingText: String
}

/// Embedding-model migration: a second vector index is filled beside the active one (chunk
/// text, full text and ids stay as they are), then swapped in by one transaction. Questions
/// keep being answered from the active index until that commit, and from the new one after it.
extension RagStore {
    /// A worker that has not reported for this long has stopped; its migration is taken over.
    public static let migrationHeartbeatTimeout: TimeInterval = 120

    /// The active index.
    public func activeVectorIndex() throws -> ActiveVectorIndex {
        try writer.read { db in try ActiveVectorIndex.fetch(db) }
    }

    /// The running migration, if any.
    public func runningMigration() throws -> EmbeddingMigrationRecord? {
        try writer.read { db in
            try EmbeddingMigrationRecord.filter(Column("status") == EmbeddingMigrationRecord.Status.running.rawValue).fetchOne(db)
        }
    }

    /// The newest migrations, newest first.
    public func migrations(limit: Int = 10) throws -> [EmbeddingMigrationRecord] {
        try writer.read { db in try EmbeddingMigrationRecord.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    /// Starts a migration to `model`, or returns the running one when it is to the same model
    /// (a resumed migration keeps every vector already made).
    /// - Throws: `StoreError(.conflict)` when another model's migration runs, `.invalid` when
    ///   `model` already makes the active index.
    @discardableResult
    public func requestMigration(model: String, modelPath: String, dimensions: Int, requestedBy: String,
                                 now: Date = Date()) throws -> EmbeddingMigrationRecord {
        try writer.write { db in
            let active = try ActiveVectorIndex.fetch(db)
            if let running = try EmbeddingMigrationRecord
                .filter(Column("status") == EmbeddingMigrationRecord.Status.running.rawValue).fetchOne(db) {
                guard running.model == model, running.dimensions == dimensions else {
                    throw StoreError(
                        .conflict,
                        "A migration to \(running.model) is running (\(running.chunksDone) of \(running.chunksTotal) chunks): "
                            + "let it finish, or cancel it with `ragd reindex --cancel`.")
                }
                return running
            }
            guard model != active.model || dimensions != active.dimensions else {
                throw StoreError(.invalid, "\(model) already makes the active index: there is nothing to migrate.")
            }
            // Leftovers of a cancelled or failed migration are not the new model's.
            try db.execute(sql: "DELETE FROM chunk_vector_next")
            var record = EmbeddingMigrationRecord(
                id: nil, model: model, modelPath: modelPath, dimensions: dimensions, previousModel: active.model,
                status: .running, requestedBy: requestedBy,
                chunksTotal: try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk") ?? 0, chunksDone: 0,
                workerPid: nil, heartbeatAt: nil, message: nil, createdAt: now, finishedAt: nil)
            try record.insert(db)
            return record
        }
    }

    /// Takes the running migration for this process (`pid`) when nobody works on it: its
    /// worker is this process, has exited, or has not reported for
    /// `migrationHeartbeatTimeout`. - Returns: the claimed migration, nil when there is none
    /// or another live process works on it.
    public func claimMigration(pid: Int32, isAlive: (Int32) -> Bool, now: Date = Date()) throws -> EmbeddingMigrationRecord? {
        try writer.write { db in
            guard var record = try EmbeddingMigrationRecord
                .filter(Column("status") == EmbeddingMigrationRecord.Status.running.rawValue).fetchOne(db) else { return nil }
            if record.isWorked(byOtherThan: pid, isAlive: isAlive, now: now) { return nil }
            record.workerPid = pid
            record.heartbeatAt = now
            try record.update(db)
            return record
        }
    }

    /// Up to `limit` chunks without a vector in the next index, by id.
    public func chunksWithoutNextVector(limit: Int) throws -> [PendingChunk] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.id, c.document_id, c.section_path, c.text FROM chunk c
                WHERE NOT EXISTS (SELECT 1 FROM chunk_vector_next n WHERE n.chunk_id = c.id)
                ORDER BY c.id LIMIT ?
                """, arguments: [limit]).map { row in
                let section: String = row["section_path"]
                let text: String = row["text"]
                return PendingChunk(id: row["id"], documentId: row["document_id"],
                                    embeddingText: Chunk.embeddingText(sectionLine: section, text: text))
            }
        }
    }

    /// Stores vectors of the next index made by migration `migrationId` and reports progress.
    /// Chunks deleted meanwhile (their document re-ingested or removed) are skipped.
    /// - Throws: `StoreError(.conflict)` when the migration is no longer running (cancelled).
    public func storeNextVectors(migrationId: Int64, chunks: [PendingChunk], vectors: [[Float]], pid: Int32,
                                 now: Date = Date()) throws {
        precondition(chunks.count == vectors.count, "one vector per chunk")
        try writer.write { db in
            let status = try String.fetchOne(db, sql: "SELECT status FROM embedding_migration WHERE id = ?", arguments: [migrationId])
            guard status == EmbeddingMigrationRecord.Status.running.rawValue else {
                throw StoreError(.conflict, "The migration was \(status ?? "removed") while this worker ran.")
            }
            let insert = try db.makeStatement(sql: """
                INSERT OR REPLACE INTO chunk_vector_next(chunk_id, document_id, code, embedding)
                SELECT id, document_id, ?, ? FROM chunk WHERE id = ?
                """)
            for (chunk, vector) in zip(chunks, vectors) {
                try insert.execute(arguments: [QuantizedVectorIndex.code(vector), VectorBlob.encode(vector), chunk.id])
            }
            try db.execute(sql: """
                UPDATE embedding_migration SET
                    chunks_done = (SELECT count(*) FROM chunk_vector_next),
                    chunks_total = (SELECT count(*) FROM chunk),
                    worker_pid = ?, heartbeat_at = ?
                WHERE id = ?
                """, arguments: [pid, now, migrationId])
        }
    }

    /// Makes the next index the active one, in one transaction: from its commit on, every
    /// search reads the new vectors and every writer must bring the new model's. The old
    /// vectors are dropped in the same commit, after the swap. Nothing happens (and nil is
    /// returned) while a chunk still lacks its new vector: the caller embeds those and asks again.
    /// - Returns: the new active index.
    public func switchToNextIndex(migrationId: Int64, now: Date = Date()) throws -> ActiveVectorIndex? {
        try writer.write { db in
            guard let record = try EmbeddingMigrationRecord.fetchOne(db, key: migrationId),
                  record.status == .running else {
                throw StoreError(.conflict, "Migration \(migrationId) is not running.")
            }
            let missing = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM chunk c WHERE NOT EXISTS (SELECT 1 FROM chunk_vector_next n WHERE n.chunk_id = c.id)
                """) ?? 0
            guard missing == 0 else { return nil }
            var active = try ActiveVectorIndex.fetch(db)
            try db.execute(sql: """
                DROP TRIGGER chunk_after_delete;
                DROP TABLE chunk_vector;
                ALTER TABLE chunk_vector_next RENAME TO chunk_vector;
                CREATE TABLE chunk_vector_next (
                    chunk_id INTEGER PRIMARY KEY,
                    document_id INTEGER NOT NULL,
                    code BLOB NOT NULL,
                    embedding BLOB NOT NULL
                );
                \(Schema.chunkVectorTriggers)
                \(Schema.chunkAfterDeleteTrigger)
                DROP TABLE chunk_vec;
                \(Schema.chunkVecTable(dimensions: record.dimensions))
                INSERT INTO chunk_vec(chunk_id, embedding, document_id)
                    SELECT chunk_id, embedding, document_id FROM chunk_vector;
                """)
            active.generation += 1
            active.model = record.model
            active.dimensions = record.dimensions
            active.modelPath = record.modelPath
            try db.execute(sql: """
                INSERT OR REPLACE INTO store_meta(key, value) VALUES
                    ('vector_generation', ?), ('embedding_model', ?), ('embedding_dimensions', ?), ('embedding_model_path', ?)
                """, arguments: [String(active.generation), record.model, String(record.dimensions), record.modelPath])
            try db.execute(sql: """
                UPDATE embedding_migration SET status = 'switched', finished_at = ?, chunks_done = chunks_total,
                    message = ? WHERE id = ?
                """, arguments: [now, "Switched to \(record.model) (generation \(active.generation)).", migrationId])
            return active
        }
    }

    /// Ends the running migration without switching (its vectors are dropped); the active index
    /// stays. - Returns: whether one was running.
    @discardableResult
    public func endMigration(as status: EmbeddingMigrationRecord.Status, message: String, now: Date = Date()) throws -> Bool {
        precondition(status == .cancelled || status == .failed, "a migration ends cancelled or failed")
        return try writer.write { db in
            try db.execute(sql: """
                UPDATE embedding_migration SET status = ?, message = ?, finished_at = ? WHERE status = 'running'
                """, arguments: [status.rawValue, message, now])
            let ended = db.changesCount > 0
            if ended { try db.execute(sql: "DELETE FROM chunk_vector_next") }
            return ended
        }
    }
}
