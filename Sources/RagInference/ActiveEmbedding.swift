import Synchronization

/// The embedding model of the database's active vector index, which an embedding-model
/// migration (`ragd reindex`) can switch while the daemon serves.
///
/// Work that embeds takes a `Pin` (a model and the index generation it belongs to) and keeps it
/// to the end: an answer's question, its source sentences and its search all use one model, and
/// an ingested file's vectors are stored only if their index is still the active one (the store
/// checks the generation in the same transaction). After a switch the next `pin()` finds the
/// new generation and its model: the one the migration registered, or, when another process
/// switched the index, the model loaded once from the file the database records.
public final class ActiveEmbedding: Sendable {
    public struct Pin: Sendable {
        public let model: any EmbeddingModel
        public let generation: Int64
    }

    /// The database's active index: its generation and the model file recorded with it.
    public typealias ActiveIndex = @Sendable () throws -> (generation: Int64, model: String, modelPath: String?)
    /// Loads the model in `path` (the daemon's in-process loader, with its configured threads and limits).
    public typealias Loader = @Sendable (_ path: String) throws -> any EmbeddingModel

    private let models: Mutex<[Int64: any EmbeddingModel]>
    private let activeIndex: ActiveIndex
    private let load: Loader

    /// - Parameters:
    ///   - model: the model of the index active now, of `generation`.
    public init(model: any EmbeddingModel, generation: Int64, activeIndex: @escaping ActiveIndex,
                load: @escaping Loader) {
        self.models = Mutex([generation: model])
        self.activeIndex = activeIndex
        self.load = load
    }

    /// Makes `model` the one for `generation` (a migration registers its model before it switches).
    public func register(_ model: any EmbeddingModel, generation: Int64) {
        models.withLock { $0[generation] = model }
    }

    /// The model of the index active now.
    /// - Throws: the store's error, or the loader's when the new index's model cannot be
    ///   loaded (its file moved: the error names it).
    public func pin() throws -> Pin {
        let active = try activeIndex()
        if let model = models.withLock({ $0[active.generation] }) {
            return Pin(model: model, generation: active.generation)
        }
        guard let path = active.modelPath else {
            throw InferenceError(
                .invalidConfiguration,
                "The vector index was switched to \(active.model) but its file is not recorded: restart ragd "
                    + "with models.embedding set to it.")
        }
        // Loaded under the lock: concurrent first pins after a switch load it once.
        return try models.withLock { models in
            if let model = models[active.generation] { return Pin(model: model, generation: active.generation) }
            let model = try load(path)
            // Older generations' models go when their last pinned answer ends.
            models = models.filter { $0.key > active.generation }
            models[active.generation] = model
            return Pin(model: model, generation: active.generation)
        }
    }

    /// Forgets models of generations before `generation` (after a switch, once in-flight work is done with them).
    public func dropModels(before generation: Int64) {
        models.withLock { models in models = models.filter { $0.key >= generation } }
    }
}
