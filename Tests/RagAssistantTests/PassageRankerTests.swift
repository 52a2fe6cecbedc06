import RagAssistant
import RagStore
import Testing

/// The passage ranker alone, on hand-made candidates: what it rewards and what it ignores.
@Suite struct PassageRankerTests {
    func hit(_ id: Int64, _ text: String, path: String = "Write-Ahead Logging", similarity: Double, fused: Double) -> SearchHit {
        SearchHit(chunkId: id, documentId: 1, text: text, sectionPath: path, anchor: nil, pageStart: nil, pageEnd: nil,
                  origin: "text", documentPath: "/docs/wal.html", documentTitle: "WAL", documentFormat: .html,
                  documentVersion: 1, documentSHA256: nil, bm25Rank: nil, bm25Score: nil, vectorRank: nil,
                  vectorDistance: 1 - similarity, fusedScore: fused)
    }

    @Test func theChunkWhoseSentencesHoldTheQuestionComesFirst() {
        let question = "How large does the WAL grow before an automatic checkpoint by default?"
        let hits = [
            hit(1, "The WAL file is a log. Readers and writers share it. Checkpoints can block readers.", similarity: 0.80, fused: 0.032),
            hit(2, "Many things are possible. Applications rarely worry about the WAL.", similarity: 0.78, fused: 0.031),
            hit(3, "By default, an automatic checkpoint runs when the WAL grows to 1000 pages. This is configurable.",
                similarity: 0.76, fused: 0.027),
            // The rest of a pool: weaker candidates spread the similarity scale as a real pool does.
            hit(4, "Journal modes are set by a pragma.", path: "Pragmas", similarity: 0.55, fused: 0.020),
            hit(5, "Locks protect the database file.", path: "Locking", similarity: 0.50, fused: 0.018),
        ]
        let ranked = PassageRanker.standard.rank(question, hits)
        #expect(ranked.first?.chunkId == 3)
        #expect(Set(ranked.map(\.chunkId)) == [1, 2, 3, 4, 5])
    }

    @Test func aWordEveryCandidateSharesDecidesNothing() {
        // Only "wal" matches, in every candidate: the order is the similarity order.
        let hits = [
            hit(1, "The WAL is here.", similarity: 0.70, fused: 0.03),
            hit(2, "The WAL is there.", similarity: 0.90, fused: 0.02),
        ]
        #expect(PassageRanker.standard.rank("What is the WAL?", hits).map(\.chunkId) == [2, 1])
    }

    @Test func candidatesBeyondTheDepthKeepTheirPlaceBehind() {
        var ranker = PassageRanker.standard
        ranker.depth = 2
        let hits = (1...4).map { hit(Int64($0), "Sentence \($0) about checkpoints.", similarity: Double($0) / 10, fused: 0.01) }
        #expect(ranker.rank("checkpoints", hits).map(\.chunkId) == [2, 1, 3, 4])
    }
}
