import Foundation
import RagInference
import RagIngest
import RagStore
import RagTesting

/// Paths and helpers of this target, over RagTesting's shared models and documents.
enum Fixtures {
    static let sqliteDocs = TestModels.sqliteDocs
    static let debianFAQ = TestModels.debianFAQ
    static let pypdfResources = TestModels.corpus + "/pdf-oddities/pypdf/resources"

    /// A file from the corpus, or an error that says to run setup.
    static func document(_ path: String) throws -> String { try TestModels.require(path) }

    /// A fresh temporary folder; the caller removes it.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A store in `folder` over the real schema, sqlite-vec and FTS5.
    static func store(in folder: URL) throws -> RagStore {
        let embedder = try TestModels.embedder.get()
        return try RagStore(configuration: StoreConfiguration(
            path: folder.appendingPathComponent("ragd.sqlite").path, vectorExtensionPath: TestModels.vectorExtension,
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier))
    }

    static func pipeline(_ store: RagStore) throws -> IngestPipeline {
        IngestPipeline(store: store, embedder: try TestModels.embedder.get())
    }
}
