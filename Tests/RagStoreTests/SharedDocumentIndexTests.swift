import Foundation
import RagCore
import RagPostgres
import RagStore
import RagTesting
import Testing

/// Documents stored by one node are found by every other: the PostgreSQL store keeps no copy
/// of the index in a node's memory, so what one node commits the next query on any node sees.
@Suite("Document index shared by nodes")
struct SharedDocumentIndexTests {
    @Test("A document stored through node A is found through node B at once")
    func storedOnAFoundOnB() async throws {
        let url = try await PostgresTestServer.shared.databaseURL()
        var opened: [PostgresStore] = []
        for name in ["node-a", "node-b"] {
            opened.append(try await PostgresStore.open(PostgresStoreConfiguration(
                location: PostgresLocation(url: url), node: name, embedding: (model: "store-tests", dimensions: 8))))
        }
        let nodes = opened
        defer { Task { for node in nodes { await node.close() } } }
        let source = try await nodes[0].index.source(root: "/srv/handbook", name: nil)
        #expect(try await nodes[1].index.searchResults(SearchRequest(text: "sabbatical", vector: nil, method: .bm25)).hits.isEmpty)

        let started = ContinuousClock.now
        _ = try await nodes[0].index.replaceDocument(
            DocumentIndexTests.update("/srv/handbook/leave.md", source: source.id),
            chunks: DocumentIndexTests.chunks(["A sabbatical of three months is granted after five years."]),
            vectors: [DocumentIndexTests.vector(5)], generation: nil)
        let found = try await nodes[1].index.searchResults(SearchRequest(
            text: "sabbatical", vector: DocumentIndexTests.vector(5), method: .hybrid))
        let took = ContinuousClock.now - started
        #expect(found.hits.map(\.documentPath) == ["/srv/handbook/leave.md"])
        #expect(took < .seconds(2), "stored on A and found on B in \(took)")
    }
}
