import Foundation
import RagPostgres
import RagStore
import RagTesting
import Testing

/// The store implementations a test body runs against, as GRDB runs one body on each kind of
/// connection: the SQLite file of one node, and a real PostgreSQL shared by nodes.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// One store of a kind, opened for one test, with what the tests set up through it.
struct StoreUnderTest: Sendable {
    let kind: StoreKind
    let jobs: any IngestJobQueue
    let index: any DocumentIndex
    /// Adds a source (a folder documents come from) and returns its id.
    let addSource: @Sendable (_ root: String) async throws -> Int64
    let close: @Sendable () async -> Void

    static func open(_ kind: StoreKind) async throws -> StoreUnderTest {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-store-\(UUID().uuidString)")
            let store = try RagStore(configuration: StoreConfiguration(
                path: folder.appendingPathComponent("ragd.sqlite").path, vectorExtensionPath: TestModels.vectorExtension,
                embeddingDimensions: 8, embeddingModel: "store-tests"))
            return StoreUnderTest(
                kind: kind, jobs: store.jobs, index: store,
                addSource: { root in try store.addSource(root: root, name: nil, groups: []).id! },
                close: { try? FileManager.default.removeItem(at: folder) })
        case .postgres:
            let url = try await PostgresTestServer.shared.databaseURL()
            let store = try await PostgresStore.open(PostgresStoreConfiguration(
                location: PostgresLocation(url: url), node: "node-a", embedding: (model: "store-tests", dimensions: 8)))
            return StoreUnderTest(
                kind: kind, jobs: store.jobs, index: store.index,
                addSource: { root in try await store.index.source(root: root, name: nil).id! },
                close: { await store.close() })
        }
    }
}

/// Several nodes on one PostgreSQL database, as a deployment with N ragd nodes has them.
enum PostgresNodes {
    /// A new database and `count` stores on it, named node-a, node-b, ….
    static func open(_ count: Int, jobLease: Duration = .seconds(60)) async throws -> (url: String, nodes: [PostgresStore]) {
        let url = try await PostgresTestServer.shared.databaseURL()
        var nodes: [PostgresStore] = []
        for index in 0..<count {
            let name = "node-" + String(UnicodeScalar(UInt8(ascii: "a") + UInt8(index)))
            nodes.append(try await PostgresStore.open(PostgresStoreConfiguration(
                location: PostgresLocation(url: url), node: name, jobLease: jobLease)))
        }
        return (url, nodes)
    }

    /// Until the PostgreSQL store manages sources itself, tests add them as an admin would in SQL.
    static func addSource(url: String, root: String) async throws -> Int64 {
        let escaped = root.replacingOccurrences(of: "'", with: "''")
        let output = try await PostgresTestServer.shared.psql(
            url, "INSERT INTO source (root, name) VALUES ('\(escaped)', '\(escaped)') RETURNING id")
        guard let id = Int64(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw StoreError(.invalid, "psql printed \(output) for a new source")
        }
        return id
    }
}
