import Foundation
import RagInference
import RagIngest
import RagStore

/// Real models and real documents installed by `make setup`, shared by the tests of this target.
enum Fixtures {
    static let cache = ProcessInfo.processInfo.environment["RAGD_CACHE"]
        ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/ragd")
    static let corpus = cache + "/corpus"
    static let sqliteDocs = corpus + "/sqlite3-doc/usr/share/doc/sqlite3"
    static let debianFAQ = corpus + "/debian-faq/usr/share/doc/debian/FAQ/debian-faq.en.pdf"
    static let pypdfResources = corpus + "/pdf-oddities/pypdf/resources"
    static let vec0 = cache + "/lib/vec0.so"

    /// The embedding model, loaded once per test process.
    static let embedder: Result<LlamaEmbeddingModel, InferenceError> = {
        LlamaBackend.initialize(logLevel: .errors)
        return Result { () throws(InferenceError) in
            try LlamaEmbeddingModel(configuration: LlamaEmbeddingConfiguration(
                modelPath: cache + "/models/all-MiniLM-L6-v2.f16.gguf", threads: 2))
        }
    }()

    /// A file from the corpus, or an error that says to run setup.
    static func document(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FixtureError("\(path) is missing: run `make setup` to fetch the test documents.")
        }
        return path
    }

    /// A fresh temporary folder, removed by the caller with `cleanUp`.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A store in `folder` over the real schema, sqlite-vec and FTS5.
    static func store(in folder: URL) throws -> RagStore {
        let embedder = try self.embedder.get()
        return try RagStore(configuration: StoreConfiguration(
            path: folder.appendingPathComponent("ragd.sqlite").path, vectorExtensionPath: vec0,
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier))
    }

    static func pipeline(_ store: RagStore) throws -> IngestPipeline {
        IngestPipeline(store: store, embedder: try embedder.get())
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
