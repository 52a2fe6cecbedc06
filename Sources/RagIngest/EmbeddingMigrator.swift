import Foundation
import Logging
import RagInference
import RagStore
import ServiceLifecycle

/// Moves the database to another embedding model without downtime: every chunk's stored text
/// is embedded again into the next vector index (`RagStore.storeNextVectors`) while questions
/// are answered from the active one, then the store switches to the new index in one
/// transaction. Chunk text, full text and ids are not touched.
///
/// The work is resumable: vectors are stored in batches, so a migration killed midway (or
/// whose daemon restarts) continues where it stopped, in `ragd serve` or in `ragd reindex`.
/// Chunks ingested during the migration are picked up before the switch; the switch happens
/// only when every chunk has its new vector.
public struct EmbeddingMigrator: Sendable {
    public let store: RagStore
    /// The new model, and its file (recorded with the index).
    public let model: any EmbeddingModel
    public let modelPath: String
    /// The daemon's pinned model of the active index: told about the new model before the switch.
    public var embeddings: ActiveEmbedding?
    /// Chunks embedded and stored per step.
    public var batchSize = 64
    public let logger: Logger

    public init(store: RagStore, model: any EmbeddingModel, modelPath: String, embeddings: ActiveEmbedding? = nil,
                logger: Logger = Logger(label: "ragd.reindex")) {
        self.store = store
        self.model = model
        self.modelPath = modelPath
        self.embeddings = embeddings
        self.logger = logger
    }

    /// This process's id, and whether another process is alive (`kill(pid, 0)`).
    public static let pid = getpid()
    public static func isAlive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// Works the running migration (which must be to this migrator's model) until the switch.
    /// - Parameter progress: called after every stored batch.
    /// - Returns: the new active index, or nil when another live process works on the migration.
    /// - Throws: `StoreError(.conflict)` when the migration is cancelled meanwhile; the
    ///   model's errors (the migration stays running, to be resumed).
    public func run(progress: @Sendable (EmbeddingMigrationRecord) -> Void = { _ in }) async throws -> ActiveVectorIndex? {
        guard var record = try store.claimMigration(pid: Self.pid, isAlive: Self.isAlive) else { return nil }
        guard record.model == model.identifier, record.dimensions == model.dimensions else {
            throw StoreError(.conflict, 
                "The running migration is to \(record.model), not \(model.identifier): let it finish, or cancel it with `ragd reindex --cancel`.")
        }
        logger.info("embedding-model migration", metadata: [
            "to": "\(record.model)", "done": "\(record.chunksDone)", "of": "\(record.chunksTotal)"])
        progress(record)
        while true {
            try Task.checkCancellation()
            let pending = try store.chunksWithoutNextVector(limit: batchSize)
            if pending.isEmpty {
                let generation = try store.activeVectorIndex().generation
                embeddings?.register(model, generation: generation + 1)
                if let active = try store.switchToNextIndex(migrationId: record.id!) {
                    embeddings?.dropModels(before: active.generation)
                    logger.notice("switched to the new vector index", metadata: [
                        "model": "\(active.model)", "generation": "\(active.generation)"])
                    return active
                }
                continue  // chunks were ingested meanwhile: embed them too
            }
            let model = self.model
            let texts = pending.map(\.embeddingText)
            // .utility: questions (request tasks) go first on the shared model thread.
            let vectors = try await Task(priority: .utility) { try await model.embed(texts) }.value.vectors
            try store.storeNextVectors(migrationId: record.id!, chunks: pending, vectors: vectors, pid: Self.pid)
            if let updated = try store.runningMigration() { record = updated }
            progress(record)
        }
    }
}

/// Runs embedding-model migrations inside `ragd serve`: one an admin started on the admin page,
/// or one a killed `ragd reindex` or an earlier daemon left unfinished. Checks every
/// `checkInterval` for a running migration nobody works on, loads its model and works it.
public struct EmbeddingMigrationService: Service {
    public let store: RagStore
    public let embeddings: ActiveEmbedding
    public let load: ActiveEmbedding.Loader
    public let checkInterval: Duration
    public let logger: Logger

    public init(store: RagStore, embeddings: ActiveEmbedding, checkInterval: Duration = .seconds(5),
                logger: Logger = Logger(label: "ragd.reindex"), load: @escaping ActiveEmbedding.Loader) {
        self.store = store
        self.embeddings = embeddings
        self.load = load
        self.checkInterval = checkInterval
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.workOnce()
                try? await Task.sleep(for: self.checkInterval)
            }
        }
    }

    /// Works the running migration if nobody else does. A model that cannot be loaded fails
    /// the migration with the reason (the active index stays); other errors leave it to be
    /// resumed at the next check.
    public func workOnce() async {
        guard let running = try? store.runningMigration() else { return }
        // Checked before the model is loaded (seconds); `claimMigration` checks again.
        if running.isWorked(byOtherThan: EmbeddingMigrator.pid, isAlive: EmbeddingMigrator.isAlive) {
            return  // `ragd reindex` works on it
        }
        let model: any EmbeddingModel
        do {
            model = try load(running.modelPath)
        } catch {
            logger.error("the new embedding model cannot be loaded", metadata: ["path": "\(running.modelPath)", "error": "\(error)"])
            _ = try? store.endMigration(as: .failed, message: "The model \(running.modelPath) cannot be loaded: \(error)")
            return
        }
        do {
            _ = try await EmbeddingMigrator(
                store: store, model: model, modelPath: running.modelPath, embeddings: embeddings, logger: logger).run()
        } catch is CancellationError {
        } catch {
            logger.warning("embedding-model migration stopped; it resumes at the next check", metadata: ["error": "\(error)"])
        }
    }
}
