/// Where the database lives and what it stores vectors of.
public struct StoreConfiguration: Sendable {
    /// The SQLite file (created with its folder if missing).
    public var path: String
    /// sqlite-vec's loadable extension (`vec0.so`), loaded on every connection.
    public var vectorExtensionPath: String
    /// Vector length of the embedding model; fixed when the database is created.
    public var embeddingDimensions: Int
    /// The embedding model's identifier, recorded so a database is never mixed across models.
    public var embeddingModel: String
    /// How many nearest candidates by binary code are re-scored with full-precision vectors
    /// (more: closer to exact search, slower). Chosen by `ragd-bench --only retrieval`: recall@10
    /// against exact float search at a million chunks (bench/RESULTS.md).
    public var rescoreCandidates: Int

    public init(path: String, vectorExtensionPath: String, embeddingDimensions: Int, embeddingModel: String,
                rescoreCandidates: Int = 400) {
        self.rescoreCandidates = rescoreCandidates
        self.path = path
        self.vectorExtensionPath = vectorExtensionPath
        self.embeddingDimensions = embeddingDimensions
        self.embeddingModel = embeddingModel
    }
}
