import Foundation
import GRDB
import RagAssistant
import RagStore
import RagTesting
import Testing

/// Hybrid retrieval over a real ingested corpus (SQLite docs and the Debian FAQ PDF).
@Suite struct RetrievalTests {
    func retriever() async throws -> Retriever {
        Retriever(store: try await SharedCorpus.shared.store(), embedder: try TestModels.embedder.get())
    }

    @Test func aKnownQuestionRetrievesItsKnownChunk() async throws {
        let (_, hits) = try await retriever().retrieve(
            "What's the largest number of tables SQLite will let me combine in a single join?", access: .unrestricted)
        let top3 = hits.prefix(3)
        #expect(top3.contains { $0.documentPath.hasSuffix("limits.html") && $0.text.contains("more than 64 tables") },
                "top hits: \(top3.map { $0.text.prefix(80) })")
    }

    @Test func aPDFQuestionRetrievesItsPage() async throws {
        let (_, hits) = try await retriever().retrieve("Who founded the Debian project, and where does the name come from?",
                                                       access: .unrestricted)
        let hit = try #require(hits.prefix(5).first { $0.text.contains("Debra and Ian Murdock") })
        #expect(hit.pageStart! <= 11 && 11 <= hit.pageEnd!)
    }

    @Test func eachMethodRanksAndHybridFusesBoth() async throws {
        let r = try await retriever()
        let question = "How do I make a table reject values of the wrong type?"
        for method in SearchMethod.allCases {
            let (_, hits) = try await r.retrieve(question, method: method, access: .unrestricted)
            #expect(!hits.isEmpty, "\(method) found nothing")
            switch method {
            case .bm25: #expect(hits.allSatisfy { $0.bm25Rank != nil && $0.vectorRank == nil })
            case .vector: #expect(hits.allSatisfy { $0.vectorRank != nil && $0.bm25Rank == nil })
            case .hybrid: #expect(hits.contains { $0.bm25Rank != nil && $0.vectorRank != nil })
            }
            #expect(hits.allSatisfy { $0.similarity != nil }, "every hit carries its similarity")
        }
    }

    @Test func userTextNeverBreaksTheFullTextQuery() async throws {
        let r = try await retriever()
        for nasty in ["\"unbalanced", "NEAR(a b", "col:value OR -x *", "a AND (b OR", "^start", "'); DROP TABLE chunk;--", ""] {
            _ = try await r.retrieve(nasty, method: .bm25, access: .unrestricted)
        }
        #expect(FullTextQuery.match("what is the WAL?") == "\"wal\"")
        #expect(FullTextQuery.match("?? !!") == nil)
    }

    @Test func nearDuplicatesAreDropped() async throws {
        let (_, hits) = try await retriever().retrieve("write-ahead log checkpoint", access: .unrestricted)
        for (i, a) in hits.enumerated() {
            for b in hits[(i + 1)...] { #expect(a.text != b.text) }
        }
    }

    @Test func restrictedDocumentsNeverLeaveTheDatabase() async throws {
        let store = try await SharedCorpus.shared.store()
        let embedder = try TestModels.embedder.get()
        // Make a private copy of the store so the shared one stays as it is.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-acl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("acl.sqlite").path
        try await store.writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        let copy = try RagStore(configuration: StoreConfiguration(
            path: path, vectorExtensionPath: TestModels.vectorExtension,
            embeddingDimensions: embedder.dimensions, embeddingModel: embedder.identifier))
        try await copy.writer.write { db in
            try db.execute(sql: "UPDATE document SET groups = '[\"legal\"]' WHERE path LIKE '%limits.html'")
        }
        let retriever = Retriever(store: copy, embedder: embedder)
        let question = "What's the largest number of tables SQLite will let me combine in a single join?"
        for method in SearchMethod.allCases {
            let outsider = try await retriever.retrieval(question, method: method, access: .groups(["engineering"]))
            #expect(!outsider.hits.contains { $0.documentPath.hasSuffix("limits.html") }, "\(method) leaked a restricted chunk")
            // The same search counts what it hid (for the audit log): limits.html's chunks rank
            // among everyone's first candidates for this question.
            #expect(outsider.hiddenCandidates > 0, "\(method) counted no hidden candidates")
            let insider = try await retriever.retrieval(question, method: method, access: .groups(["legal"]))
            #expect(insider.hits.contains { $0.documentPath.hasSuffix("limits.html") }, "\(method) hid a permitted chunk")
            #expect(insider.hiddenCandidates == 0, "nothing is hidden from a reader of every document")
            let everyone = try await retriever.retrieval(question, method: method, access: .unrestricted)
            #expect(everyone.hiddenCandidates == 0)
            let chunks = try await copy.writer.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM chunk c JOIN document d ON d.id = c.document_id WHERE d.path LIKE '%limits.html'
                    """) ?? 0
            }
            #expect(outsider.hiddenCandidates <= chunks, "hidden candidates are limits.html's chunks, counted once")
        }
    }
}

/// Fusion weights and the passage ranker over the real corpus.
@Suite struct RankingTests {
    @Test func fusionWeightsFavourTheWeightedRanking() async throws {
        var r = Retriever(store: try await SharedCorpus.shared.store(), embedder: try TestModels.embedder.get())
        r.ranker = nil
        let question = "How do I make a table reject values of the wrong type?"
        r.fusion = FusionWeights(bm25: 1, vector: 0)
        let (_, textFirst) = try await r.retrieve(question, access: .unrestricted)
        #expect(textFirst.first?.bm25Rank == 1)
        r.fusion = FusionWeights(bm25: 0, vector: 1)
        let (_, vectorFirst) = try await r.retrieve(question, access: .unrestricted)
        #expect(vectorFirst.first?.vectorRank == 1)
    }

    @Test func theRankerReordersOnlyTheCandidatesItIsGiven() async throws {
        var r = Retriever(store: try await SharedCorpus.shared.store(), embedder: try TestModels.embedder.get())
        let question = "In WAL mode, how large does the log grow before SQLite checkpoints on its own by default?"
        let (_, ranked) = try await r.retrieve(question, access: .unrestricted)
        r.ranker = nil
        r.limit = 30
        let (_, fused) = try await r.retrieve(question, access: .unrestricted)
        #expect(Set(ranked.map(\.chunkId)).isSubset(of: Set(fused.map(\.chunkId))))
        #expect(ranked.prefix(3).contains { $0.text.contains("1000 pages") }, "top: \(ranked.prefix(3).map { $0.text.prefix(80) })")
    }
}
