import Foundation
import GRDB
import GRDBSQLite
import RagCore

/// The database: documents, chunks, their full-text index and their vectors, in one SQLite file,
/// and beside them, each behind the same writer, `accounts`, `history` and `jobs`.
///
/// One `RagStore` per file and process (GRDB's rule: connect to a database file once). It is
/// a `DatabasePool` in WAL mode: many readers run beside one writer, and every write that
/// changes a document's chunks is one transaction, so a search never sees half a document.
public final class RagStore: Sendable {
    public let writer: any DatabaseWriter
    public let configuration: StoreConfiguration
    /// The binary codes of all vectors, in memory, for nearest-neighbour search.
    let vectorIndex: QuantizedVectorIndex
    /// Which words of a question full-text search ranks by.
    let fullTextPlanner: FullTextPlanner
    /// Users, sessions and API tokens.
    public let accounts: AccountStore
    /// Each user's questions, answers and feedback.
    public let history: HistoryStore
    /// The re-ingest queue.
    public let jobs: JobStore

    /// Opens (creating if needed) and migrates the database.
    /// - Throws: `StoreError` when sqlite-vec cannot be loaded or the database was built for
    ///   another embedding model; GRDB's `DatabaseError` for SQLite failures.
    public init(configuration: StoreConfiguration) throws {
        self.configuration = configuration
        self.vectorIndex = QuantizedVectorIndex()
        self.fullTextPlanner = FullTextPlanner(postingBudget: configuration.fullTextPostingBudget)
        let url = URL(fileURLWithPath: configuration.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.fileExists(atPath: configuration.vectorExtensionPath) else {
            throw StoreError(
                .vectorExtension,
                "sqlite-vec (\(configuration.vectorExtensionPath)) is missing: run `make setup`, or set vector_extension.")
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        let extensionPath = configuration.vectorExtensionPath
        config.prepareDatabase { db in
            try RagStore.loadVectorExtension(db, path: extensionPath)
            try db.execute(sql: "PRAGMA synchronous = NORMAL")  // WAL: durable at checkpoints, never corrupt
        }
        let writer = try DatabasePool(path: configuration.path, configuration: config)
        self.writer = writer
        self.accounts = AccountStore(writer: writer)
        self.history = HistoryStore(writer: writer)
        self.jobs = JobStore(writer: writer)
        try Schema.migrator(dimensions: configuration.embeddingDimensions).migrate(writer)
        self.openedIndex = try Self.checkEmbeddingModel(writer, configuration)
    }

    /// The active vector index when the store was opened, whose model is the configured one.
    /// Writers that embed with that model pass its generation, so vectors made before a switch
    /// by another process (`ragd reindex`) are refused rather than mixed into the new index.
    public let openedIndex: ActiveVectorIndex

    /// Loads vec0 with the C API only: the SQL function `load_extension()` stays disabled.
    private static func loadVectorExtension(_ db: Database, path: String) throws {
        guard let connection = db.sqliteConnection else { return }
        sqlite3_enable_load_extension(connection, 1)
        defer { sqlite3_enable_load_extension(connection, 0) }
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_load_extension(connection, path, "sqlite3_vec_init", &message)
        if status != SQLITE_OK {
            let reason = message.map { String(cString: $0) } ?? "status \(status)"
            sqlite3_free(message)
            throw StoreError(.vectorExtension, "Cannot load sqlite-vec from \(path): \(reason). Run `make setup`.")
        }
    }

    /// Records the embedding model on first use; refuses a database whose active index was made
    /// by another model, saying how to go on.
    private static func checkEmbeddingModel(_ writer: any DatabaseWriter, _ configuration: StoreConfiguration) throws
        -> ActiveVectorIndex
    {
        try writer.write { db in
            var active = try ActiveVectorIndex.fetch(db)
            if active.model.isEmpty || active.dimensions == 0 {
                active.model = configuration.embeddingModel
                active.dimensions = configuration.embeddingDimensions
                try db.execute(
                    sql: "INSERT OR REPLACE INTO store_meta(key, value) VALUES ('embedding_model', ?), ('embedding_dimensions', ?)",
                    arguments: [active.model, String(active.dimensions)])
            }
            guard active.dimensions == configuration.embeddingDimensions, active.model == configuration.embeddingModel else {
                throw StoreError(
                    .embeddingMismatch,
                    "\(configuration.path) answers from vectors of \(active.model), \(active.dimensions) dimensions, "
                        + "but the configured embedding model is \(configuration.embeddingModel) "
                        + "(\(configuration.embeddingDimensions)). Set models.embedding to \(active.modelPath ?? active.model + "'s file") "
                        + "to use this database as it is, or move it to the configured model without downtime: "
                        + "`ragd reindex --embedding-model <file of \(configuration.embeddingModel)>`, started with "
                        + "models.embedding still set to \(active.model).")
            }
            if active.modelPath == nil, let path = configuration.embeddingModelPath {
                active.modelPath = path
                try db.execute(sql: "INSERT OR REPLACE INTO store_meta(key, value) VALUES ('embedding_model_path', ?)",
                               arguments: [path])
            }
            return active
        }
    }
}

/// Small settings the daemon keeps in the database (e.g. the one-time setup token's hash).
extension RagStore {
    public func meta(_ key: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String?) throws {
        try writer.write { db in
            if let value {
                try db.execute(sql: "INSERT OR REPLACE INTO store_meta(key, value) VALUES (?, ?)", arguments: [key, value])
            } else {
                try db.execute(sql: "DELETE FROM store_meta WHERE key = ?", arguments: [key])
            }
        }
    }

    /// Of `documentIds`, those a reader with `access` may see now (history pages re-check, so
    /// a source whose groups changed since disappears from old entries too).
    public func readableDocumentIds(_ documentIds: [Int64], access: AccessFilter) throws -> Set<Int64> {
        guard !documentIds.isEmpty else { return [] }
        return try writer.read { db in
            let condition = access.documentCondition
            let ids = documentIds.map(String.init).joined(separator: ",")
            let sql = "SELECT d.id FROM document d WHERE d.id IN (\(ids)) AND \(condition.sql)"
            return Set(try Int64.fetchAll(db, sql: sql, arguments: StatementArguments(condition.arguments)))
        }
    }
}
