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

    @Test("The vector index is rebuilt as IVFFlat for a large corpus, and search stays exact where it scans every list")
    func rebuildingTheVectorIndex() async throws {
        let url = try await PostgresTestServer.shared.databaseURL()
        let store = try await PostgresStore.open(PostgresStoreConfiguration(
            location: PostgresLocation(url: url), node: "node-a", embedding: (model: "store-tests", dimensions: 8)))
        defer { Task { await store.close() } }
        let open = try await store.index.source(root: "/srv/open", name: nil).id
        let hr = try await store.index.addSource(root: "/srv/hr", name: nil, groups: ["hr"]).id
        var rng = SplitMix64(seed: 7)
        func randomVector() -> [Float] { (0..<8).map { _ in Float(rng.next() % 2001) / 1000 - 1 } }
        for document in 0..<30 {
            let texts = (0..<10).map { "Passage \($0) of document \(document)." }
            _ = try await store.index.replaceDocument(
                DocumentIndexTests.update("/srv/\(document % 2 == 0 ? "open" : "hr")/\(document).md",
                                          source: document % 2 == 0 ? open : hr),
                chunks: DocumentIndexTests.chunks(texts), vectors: texts.map { _ in randomVector() }, generation: nil)
        }
        #expect(try await store.index.vectorIndexKind() == .hnsw)
        #expect(try await store.index.rebuildVectorIndex(ivfflatFrom: 200) == .ivfflat(lists: 10))
        #expect(try await store.index.vectorIndexKind() == .ivfflat(lists: 10))

        // Ten probes of ten lists: every vector is compared, so the search is exact.
        for _ in 0..<5 {
            let query = randomVector()
            let exact = try await store.index.exactNearest(vector: query, limit: 10).map(\.0)
            let found = try await store.index.searchResults(SearchRequest(text: "", vector: query, method: .vector, limit: 10, candidates: 10))
            #expect(found.hits.map(\.chunkId) == exact)
            // Filtered: only open documents, ten of them, nearest first.
            let filtered = try await store.index.searchResults(SearchRequest(
                text: "", vector: query, method: .vector, limit: 10, candidates: 10, access: .groups(["eng"])))
            #expect(filtered.hits.count == 10)
            #expect(filtered.hits.allSatisfy { $0.documentPath.hasPrefix("/srv/open/") })
            let distances = filtered.hits.compactMap(\.vectorDistance)
            #expect(distances == distances.sorted())
        }
        #expect(try await store.index.rebuildVectorIndex() == .hnsw)
        #expect(try await store.index.vectorIndexKind() == .hnsw)
    }
}
