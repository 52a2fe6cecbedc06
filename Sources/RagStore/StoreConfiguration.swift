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
    /// The embedding model's file, recorded with the index so that a daemon whose index another
    /// process switched (`ragd reindex`) can load the new model (nil: not recorded).
    public var embeddingModelPath: String?
    /// How many nearest candidates by binary code are re-scored with full-precision vectors
    /// (more: closer to exact search, slower). Chosen by `ragd-bench --only retrieval`: recall@10
    /// against exact float search at a million chunks (bench/RESULTS.md).
    public var rescoreCandidates: Int
    /// Full-text search ranks by a question's rarer words while the chunks holding them add up
    /// to at most this many (FullTextPlanner): its cost stays bounded at any corpus size.
    public var fullTextPostingBudget: Int

    public init(path: String, vectorExtensionPath: String, embeddingDimensions: Int, embeddingModel: String,
                rescoreCandidates: Int = Self.defaultRescoreCandidates,
                fullTextPostingBudget: Int = Self.defaultFullTextPostingBudget, embeddingModelPath: String? = nil) {
        self.embeddingModelPath = embeddingModelPath
        self.rescoreCandidates = rescoreCandidates
        self.fullTextPostingBudget = fullTextPostingBudget
        self.path = path
        self.vectorExtensionPath = vectorExtensionPath
        self.embeddingDimensions = embeddingDimensions
        self.embeddingModel = embeddingModel
    }

    public static let defaultRescoreCandidates = 1_200
    public static let defaultFullTextPostingBudget = 16_000
}
