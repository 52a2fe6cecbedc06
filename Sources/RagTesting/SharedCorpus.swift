import Foundation
import RagIngest
import RagStore

/// One ingested corpus per test process, shared by every test that only reads it: a handful
/// of real SQLite documentation pages and the Debian FAQ PDF, in a temporary database.
public actor SharedCorpus {
    public static let shared = SharedCorpus()

    /// The pages ingested (relative to the SQLite documentation folder).
    public static let sqlitePages = ["limits.html", "nulls.html", "lang_upsert.html", "datatype3.html", "wal.html"]

    private var store: RagStore?
    private var folder: URL?

    /// The store, ingesting on first use.
    public func store() async throws -> RagStore {
        if let store { return store }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-shared-\(UUID().uuidString)")
        let docs = folder.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        for page in Self.sqlitePages {
            try FileManager.default.copyItem(
                atPath: try TestModels.require(TestModels.sqliteDocs + "/" + page), toPath: docs.appendingPathComponent(page).path)
        }
        try FileManager.default.copyItem(
            atPath: try TestModels.require(TestModels.debianFAQ), toPath: docs.appendingPathComponent("debian-faq.en.pdf").path)
        let embedder = try TestModels.embedder.get()
        let store = try RagStore(configuration: StoreConfiguration(
            path: folder.appendingPathComponent("ragd.sqlite").path, vectorExtensionPath: TestModels.vectorExtension,
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier))
        _ = try await IngestPipeline(store: store, embedder: embedder).ingest(paths: [docs.path])
        self.store = store
        self.folder = folder
        return store
    }
}

extension TestModels {
    /// `path`, or an error that says to run setup.
    public static func require(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw MissingFixture(path: path) }
        return path
    }
}

public struct MissingFixture: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "\(path) is missing: run `make setup` to fetch the models and test documents." }
}
