import Foundation
import GRDB
import RagAssistant
import RagCore
import RagIngest
import RagInference
import RagStore
import RagTesting
import Testing

/// Moving a database from MiniLM to nomic-embed-text-v1.5 while questions are answered: each
/// answer comes from exactly one index (its sources are those of the old index or those of the
/// new one, never a mix), the switch is one commit, a stopped migration resumes, and ragd
/// refuses a model that did not make the active index.
@Suite(.serialized) struct EmbeddingMigrationTests {
    /// Four short pages (about 40 chunks): nomic embeds a few chunks a second on two cores.
    static let files = ["autoinc.html", "lang_transaction.html", "lang_savepoint.html", "lang_delete.html"]
    static let questions = [
        "What does the AUTOINCREMENT keyword prevent?",
        "What does RELEASE do to a savepoint?",
        "What does ROLLBACK do to a transaction?",
    ]

    /// A database of four SQLite pages embedded with MiniLM, in a fresh folder.
    static func corpus() async throws -> (folder: URL, store: RagStore) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-migration-\(UUID().uuidString)")
        let docs = folder.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        for file in files {
            try FileManager.default.copyItem(atPath: try TestModels.require(TestModels.sqliteDocs + "/" + file),
                                             toPath: docs.appendingPathComponent(file).path)
        }
        let store = try openStore(folder, model: try TestModels.embedder.get())
        _ = try await IngestPipeline(store: store, embedder: try TestModels.embedder.get()).ingest(paths: [docs.path])
        return (folder, store)
    }

    static func openStore(_ folder: URL, model: any EmbeddingModel) throws -> RagStore {
        try RagStore(configuration: StoreConfiguration(
            path: folder.appendingPathComponent("ragd.sqlite").path, vectorExtensionPath: TestModels.vectorExtension,
            embeddingDimensions: model.dimensions, embeddingModel: model.identifier,
            embeddingModelPath: model.dimensions == 768 ? TestModels.nomicPath : TestModels.embeddingPath))
    }

    static func embeddings(_ store: RagStore, _ minilm: any EmbeddingModel, _ nomic: any EmbeddingModel) -> ActiveEmbedding {
        ActiveEmbedding(
            model: minilm, generation: store.openedIndex.generation,
            activeIndex: {
                let active = try store.activeVectorIndex()
                return (active.generation, active.model, active.modelPath)
            },
            load: { path in path == TestModels.nomicPath ? nomic : minilm })
    }

    /// What identifies the index an answer came from: its sources and their similarities.
    struct Fingerprint: Equatable, CustomStringConvertible {
        var sources: [Int64]
        var similarities: [Int]
        init(_ answer: Answer) {
            sources = answer.sources.map(\.chunkId)
            similarities = answer.sources.map { Int(($0.similarity * 10_000).rounded()) }
        }
        var description: String { "\(sources) \(similarities)" }
    }

    @Test func questionsAreAnsweredFromOneIndexThroughoutTheMigration() async throws {
        let (folder, store) = try await Self.corpus()
        defer { try? FileManager.default.removeItem(at: folder) }
        let minilm = try TestModels.embedder.get()
        let nomic = try TestModels.nomic.get()
        let embeddings = Self.embeddings(store, minilm, nomic)
        // The answer's sources are what is compared: the cheapest chat model, a few tokens.
        var assistant = Assistant(retriever: Retriever(store: store, embedder: minilm), smallModel: try TestModels.smallChat.get())
        assistant.embeddings = embeddings
        assistant.generation.maxTokens = 8
        func ask(_ question: String) async throws -> Fingerprint {
            Fingerprint(try await assistant.complete(question, access: .unrestricted))
        }
        var before: [String: Fingerprint] = [:]
        for question in Self.questions { before[question] = try await ask(question) }

        let chunks = try store.indexCounts().chunks
        try store.requestMigration(model: nomic.identifier, modelPath: TestModels.nomicPath, dimensions: nomic.dimensions,
                                   requestedBy: "test")
        var migrator = EmbeddingMigrator(store: store, model: nomic, modelPath: TestModels.nomicPath, embeddings: embeddings)
        migrator.batchSize = 8
        let migration = Task { try await migrator.run() }
        var during: [(question: String, running: Bool, answer: Fingerprint)] = []
        var turn = 0
        repeat {
            let question = Self.questions[turn % Self.questions.count]
            turn += 1
            let running = try store.runningMigration() != nil
            during.append((question, running, try await ask(question)))
            try await Task.sleep(for: .milliseconds(500))  // leave the cores to the migration and other suites
        } while try store.runningMigration() != nil
        let switched = try #require(try await migration.value)
        #expect(switched.model == nomic.identifier && switched.dimensions == 768 && switched.generation == 2)

        var after: [String: Fingerprint] = [:]
        for question in Self.questions { after[question] = try await ask(question) }
        // The two indexes rank differently (else this test could not tell them apart).
        #expect(Self.questions.contains { before[$0] != after[$0] })
        #expect(during.contains { $0.running }, "no question was asked while the migration ran")
        for item in during {
            #expect(item.answer == before[item.question] || item.answer == after[item.question],
                    "\(item.question): \(item.answer) is neither the old index's \(before[item.question]!) nor the new one's \(after[item.question]!)")
        }
        // One whole index of the new model; nothing left of the old one or of the migration.
        let (vectors, next, dimensions) = try await store.writer.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk_vector") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk_vector_next") ?? 0,
             try Int.fetchOne(db, sql: "SELECT min(length(embedding)) / 4 FROM chunk_vector") ?? 0)
        }
        #expect(vectors == chunks && next == 0 && dimensions == 768)
        #expect(try store.indexCounts().vectors == chunks)
        #expect(try store.migrations().first?.status == .switched)

        // A file ingested after the switch by a pipeline that started with MiniLM is embedded
        // with the model of the active index.
        let extra = folder.appendingPathComponent("docs/lang_vacuum.html")
        try FileManager.default.copyItem(atPath: try TestModels.require(TestModels.sqliteDocs + "/lang_vacuum.html"), toPath: extra.path)
        var pipeline = IngestPipeline(store: store, embedder: minilm)
        pipeline.embeddings = embeddings
        _ = try await pipeline.ingest(paths: [extra.path])
        let answer = try await assistant.complete("What does the VACUUM command do?", access: .unrestricted)
        #expect(answer.sources.first?.path.hasSuffix("lang_vacuum.html") == true)
        #expect(try store.indexCounts().vectors == store.indexCounts().chunks)
    }

    @Test func aStoppedMigrationResumesAndChunksIngestedMeanwhileAreIncluded() async throws {
        let (folder, store) = try await Self.corpus()
        defer { try? FileManager.default.removeItem(at: folder) }
        let minilm = try TestModels.embedder.get()
        let nomic = try TestModels.nomic.get()
        let first = try store.requestMigration(model: nomic.identifier, modelPath: TestModels.nomicPath,
                                               dimensions: nomic.dimensions, requestedBy: "test")
        // A worker that stops after two batches (as a killed `ragd reindex` would).
        let stopping = CountingEmbedder(nomic, stopAfter: 2)
        var migrator = EmbeddingMigrator(store: store, model: stopping, modelPath: TestModels.nomicPath)
        migrator.batchSize = 8
        await #expect(throws: CancellationError.self) { _ = try await migrator.run() }
        let stopped = try #require(try store.runningMigration())
        #expect(stopped.chunksDone == 16)
        // Questions are still answered from the whole MiniLM index.
        #expect(try store.activeVectorIndex().model == minilm.identifier)
        let hits = try await Retriever(store: store, embedder: minilm).retrieve(Self.questions[0], access: .unrestricted).hits
        #expect(!hits.isEmpty)
        // Another model's migration is refused while this one runs; the same model's resumes.
        #expect(throws: StoreError.self) {
            try store.requestMigration(model: "other.gguf", modelPath: "/nowhere", dimensions: 3, requestedBy: "test")
        }
        #expect(try store.requestMigration(model: nomic.identifier, modelPath: TestModels.nomicPath,
                                           dimensions: nomic.dimensions, requestedBy: "test").id == first.id)
        // A document ingested during the migration (with MiniLM, into the active index).
        let extra = folder.appendingPathComponent("docs/lang_vacuum.html")
        try FileManager.default.copyItem(atPath: try TestModels.require(TestModels.sqliteDocs + "/lang_vacuum.html"), toPath: extra.path)
        _ = try await IngestPipeline(store: store, embedder: minilm).ingest(paths: [extra.path])
        let chunks = try store.indexCounts().chunks

        let counting = CountingEmbedder(nomic, stopAfter: nil)
        migrator = EmbeddingMigrator(store: store, model: counting, modelPath: TestModels.nomicPath)
        let switched = try #require(try await migrator.run())
        #expect(switched.model == nomic.identifier)
        // Only what was missing was embedded: the 16 chunks of the stopped run were kept.
        #expect(counting.texts == chunks - 16)
        #expect(try store.indexCounts().vectors == chunks)

        // The database now belongs to nomic: opening it with MiniLM is refused with how to go on.
        let reopened = Result { try Self.openStore(folder, model: minilm) }
        guard case .failure(let error as StoreError) = reopened else {
            Issue.record("a database switched to nomic opened with MiniLM")
            return
        }
        #expect(error.kind == .embeddingMismatch)
        #expect(error.description.contains(TestModels.nomicPath) && error.description.contains("ragd reindex --embedding-model"))
        #expect(throws: Never.self) { _ = try Self.openStore(folder, model: nomic) }
    }

    @Test func aCancelledMigrationLeavesTheActiveIndexAsItWas() async throws {
        let (folder, store) = try await Self.corpus()
        defer { try? FileManager.default.removeItem(at: folder) }
        let nomic = try TestModels.nomic.get()
        let active = try store.activeVectorIndex()
        try store.requestMigration(model: nomic.identifier, modelPath: TestModels.nomicPath, dimensions: nomic.dimensions,
                                   requestedBy: "test")
        let chunks = try store.chunksWithoutNextVector(limit: 4)
        let vectors = try await nomic.embed(chunks.map(\.embeddingText)).vectors
        let id = try #require(try store.runningMigration()?.id)
        try store.storeNextVectors(migrationId: id, chunks: chunks, vectors: vectors, pid: 1)
        #expect(try store.endMigration(as: .cancelled, message: "test"))
        #expect(try store.activeVectorIndex() == active)
        #expect(try store.chunksWithoutNextVector(limit: 1_000).count == store.indexCounts().chunks)
        // The cancelled worker's next batch is refused.
        #expect(throws: StoreError.self) {
            try store.storeNextVectors(migrationId: id, chunks: chunks, vectors: vectors, pid: 1)
        }
    }
}

/// An embedding model that counts the texts it embedded and, with `stopAfter`, throws
/// CancellationError on the call after that many (a worker stopped midway).
final class CountingEmbedder: EmbeddingModel, @unchecked Sendable {
    let base: any EmbeddingModel
    let stopAfter: Int?
    private let lock = NSLock()
    private var calls = 0
    private(set) var texts = 0

    init(_ base: any EmbeddingModel, stopAfter: Int?) {
        self.base = base
        self.stopAfter = stopAfter
    }

    var dimensions: Int { base.dimensions }
    var maxTokens: Int { base.maxTokens }
    var identifier: String { base.identifier }
    var tokenCounter: any TokenCounter { base.tokenCounter }
    func tokenCount(_ text: String) async throws -> Int { try await base.tokenCount(text) }

    func embed(_ texts: [String], as purpose: EmbeddingPurpose) async throws -> EmbeddingBatch {
        let stop = lock.withLock { () -> Bool in
            calls += 1
            return stopAfter.map { calls > $0 } ?? false
        }
        if stop { throw CancellationError() }
        let batch = try await base.embed(texts, as: purpose)
        lock.withLock { self.texts += texts.count }
        return batch
    }
}
