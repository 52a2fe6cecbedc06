import Foundation
import RagCore
import RagStore
import RagTesting
import Testing

/// Documents, chunks, vectors and search: the same rules on both stores (`DocumentIndex`).
/// Vectors are small hand-made ones: what is tested is the store, not the embedding model.
@Suite("Document index")
struct DocumentIndexTests {
    /// A unit vector along axis `axis` of 8, nudged towards `toward` (so neighbours are ordered).
    static func vector(_ axis: Int, toward: Int? = nil) -> [Float] {
        var v = [Float](repeating: 0, count: 8)
        v[axis] = 1
        if let toward { v[toward] = 0.3 }
        return v
    }

    static func update(_ path: String, source: Int64?) -> DocumentUpdate {
        DocumentUpdate(path: path, sourceId: source, contentSHA256: String(repeating: "a", count: 64), sizeBytes: 100,
                       format: .markdown, title: (path as NSString).lastPathComponent, author: nil, created: nil,
                       modified: nil, pages: nil, pagesWithoutText: 0, usedOCR: false)
    }

    static func chunks(_ texts: [String], section: String = "Facilities") -> [Chunk] {
        texts.enumerated().map { index, text in
            Chunk(ordinal: index, text: text, sectionPath: [section], anchor: nil, pageStart: nil, pageEnd: nil,
                  characterStart: 0, characterEnd: text.count, tokenCount: 10, origin: .textLayer)
        }
    }

    @Test("A document's chunks are replaced in one go and its version goes up", arguments: StoreKind.allCases)
    func replacing(kind: StoreKind) async throws {
        let store = try await StoreUnderTest.open(kind)
        defer { Task { await store.close() } }
        let source = try await store.addSource("/srv/handbook")
        let first = try await store.index.replaceDocument(
            Self.update("/srv/handbook/parking.md", source: source),
            chunks: Self.chunks(["Visitors park in the north lot.", "Bicycles go in the cellar.", "Taxis wait at gate 2."]),
            vectors: [Self.vector(0), Self.vector(1), Self.vector(2)], generation: nil)
        #expect(first.version == 1 && first.chunkCount == 3 && first.status == .ingested)
        #expect(try await store.index.chunks(documentId: first.id!).map(\.text).count == 3)

        let second = try await store.index.replaceDocument(
            Self.update("/srv/handbook/parking.md", source: source),
            chunks: Self.chunks(["Visitors park in the south garage.", "Bicycles go in the cellar."]),
            vectors: [Self.vector(3), Self.vector(1)], generation: nil)
        #expect(second.id == first.id && second.version == 2 && second.chunkCount == 2)
        let chunks = try await store.index.chunks(documentId: first.id!)
        #expect(chunks.map(\.text) == ["Visitors park in the south garage.", "Bicycles go in the cellar."])
        #expect(chunks.map(\.ordinal) == [0, 1] && chunks[0].sectionPath == "Facilities")
        #expect(try await store.index.documents().map(\.path) == ["/srv/handbook/parking.md"])
        #expect(try await store.index.document(path: "/srv/handbook/parking.md")?.version == 2)

        let old = try await store.index.searchResults(SearchRequest(text: "north lot", vector: nil, method: .bm25))
        #expect(old.hits.isEmpty)
        let new = try await store.index.searchResults(SearchRequest(text: "garage", vector: nil, method: .bm25))
        #expect(new.hits.map(\.text) == ["Visitors park in the south garage."])
        #expect(new.hits.first?.documentVersion == 2)
    }

    @Test("Full text, vectors and their fusion each put the right chunk first", arguments: StoreKind.allCases)
    func ranking(kind: StoreKind) async throws {
        let store = try await StoreUnderTest.open(kind)
        defer { Task { await store.close() } }
        let source = try await store.addSource("/srv/handbook")
        _ = try await store.index.replaceDocument(
            Self.update("/srv/handbook/site.md", source: source),
            chunks: Self.chunks([
                "The canteen serves lunch from noon until two.",
                "Parking permits are issued by the front desk.",
                "The fire assembly point is the north car park.",
                "Printers on every floor accept badges.",
            ]),
            vectors: [Self.vector(0), Self.vector(1), Self.vector(2), Self.vector(3)], generation: nil)

        let byText = try await store.index.searchResults(SearchRequest(text: "Where do I get parking permits?", vector: nil, method: .bm25))
        #expect(byText.hits.first?.text == "Parking permits are issued by the front desk.")
        #expect(byText.hits.first?.bm25Rank == 1 && byText.hits.first?.bm25Score != nil)

        let query = Self.vector(2, toward: 3)
        let byVector = try await store.index.searchResults(SearchRequest(text: "", vector: query, method: .vector, limit: 4))
        #expect(byVector.hits.map(\.text).prefix(2) == [
            "The fire assembly point is the north car park.", "Printers on every floor accept badges.",
        ])
        let nearest = try #require(byVector.hits.first?.vectorDistance)
        #expect(abs(nearest - (1 - 1 / Double(Float(1.09).squareRoot()))) < 1e-4)

        // Hybrid: in both lists beats in one; every hit knows its distance to the query.
        let hybrid = try await store.index.searchResults(SearchRequest(
            text: "printers badges", vector: Self.vector(3), method: .hybrid, limit: 3))
        #expect(hybrid.hits.first?.text == "Printers on every floor accept badges.")
        #expect(hybrid.hits.first?.bm25Rank == 1 && hybrid.hits.first?.vectorRank == 1)
        #expect(hybrid.hits.allSatisfy { $0.vectorDistance != nil })
        #expect(hybrid.hiddenCandidates == 0)
    }

    @Test("Access control is inside every search, and groups follow their source at once", arguments: StoreKind.allCases)
    func accessControl(kind: StoreKind) async throws {
        let store = try await StoreUnderTest.open(kind)
        defer { Task { await store.close() } }
        let hr = try await store.index.addSource(root: "/srv/hr", name: "HR", groups: ["hr"]).id!
        let open = try await store.addSource("/srv/open")
        _ = try await store.index.replaceDocument(
            Self.update("/srv/hr/salaries.md", source: hr), chunks: Self.chunks(["Salary bands are reviewed in March."]),
            vectors: [Self.vector(0)], generation: nil)
        _ = try await store.index.replaceDocument(
            Self.update("/srv/open/holidays.md", source: open), chunks: Self.chunks(["Holidays are booked in March."]),
            vectors: [Self.vector(0, toward: 1)], generation: nil)
        #expect(try await store.index.document(path: "/srv/hr/salaries.md")?.groups == "[\"hr\"]")

        for method in SearchMethod.allCases {
            let engineer = try await store.index.searchResults(SearchRequest(
                text: "March", vector: Self.vector(0), method: method, access: .groups(["eng"])))
            #expect(engineer.hits.map(\.documentPath) == ["/srv/open/holidays.md"], "\(method)")
            #expect(engineer.hiddenCandidates == 1, "\(method)")
            let person = try await store.index.searchResults(SearchRequest(
                text: "March", vector: Self.vector(0), method: method, access: .groups(["hr", "eng"])))
            #expect(Set(person.hits.map(\.documentPath)) == ["/srv/hr/salaries.md", "/srv/open/holidays.md"], "\(method)")
            #expect(person.hiddenCandidates == 0)
        }

        try await store.index.setSourceGroups(id: hr, groups: [])
        let now = try await store.index.searchResults(SearchRequest(text: "salary", vector: nil, method: .bm25, access: .groups(["eng"])))
        #expect(now.hits.map(\.documentPath) == ["/srv/hr/salaries.md"])
        await #expect(throws: StoreError.self) { try await store.index.setSourceGroups(id: 999_999, groups: ["x"]) }
    }

    @Test("Deleting removes everything derived; a failed re-read keeps the last good version", arguments: StoreKind.allCases)
    func deletingAndFailing(kind: StoreKind) async throws {
        let store = try await StoreUnderTest.open(kind)
        defer { Task { await store.close() } }
        let source = try await store.addSource("/srv/docs")
        for name in ["a", "b", "c"] {
            _ = try await store.index.replaceDocument(
                Self.update("/srv/docs/\(name).md", source: source), chunks: Self.chunks(["Topic \(name) explained."]),
                vectors: [Self.vector(0)], generation: nil)
        }
        // A file that turned unreadable: its last version stays searchable, the error says so.
        try await store.index.recordFailure(
            path: "/srv/docs/a.md", sourceId: source, format: .markdown, contentSHA256: nil, sizeBytes: 5,
            status: .failed, error: "not UTF-8")
        let failed = try #require(try await store.index.document(path: "/srv/docs/a.md"))
        #expect(failed.status == .failed && failed.error?.contains("version 1 stays searchable") == true)
        #expect(try await store.index.searchResults(SearchRequest(text: "topic a", vector: nil, method: .bm25)).hits.count == 3)
        try await store.index.recordFailure(
            path: "/srv/docs/new.pdf", sourceId: source, format: .pdf, contentSHA256: nil, sizeBytes: 5,
            status: .skipped, error: "encrypted")
        #expect(try await store.index.document(path: "/srv/docs/new.pdf")?.chunkCount == 0)

        let b = try #require(try await store.index.document(path: "/srv/docs/b.md"))
        #expect(try await store.index.deleteDocument(id: b.id!))
        #expect(try await store.index.deleteDocument(id: b.id!) == false)
        #expect(try await store.index.chunks(documentId: b.id!).isEmpty)
        let gone = try await store.index.removeDocuments(sourceId: source, keeping: ["/srv/docs/a.md", "/srv/docs/new.pdf"])
        #expect(gone == ["/srv/docs/c.md"])
        let left = try await store.index.searchResults(SearchRequest(text: "topic", vector: Self.vector(0), method: .hybrid))
        #expect(left.hits.map(\.documentPath) == ["/srv/docs/a.md"])

        #expect(try await store.index.removeSource(id: source) == 2)
        #expect(try await store.index.documents().isEmpty)
        #expect(try await store.index.searchResults(SearchRequest(text: "topic", vector: Self.vector(0), method: .hybrid)).hits.isEmpty)
    }
}
