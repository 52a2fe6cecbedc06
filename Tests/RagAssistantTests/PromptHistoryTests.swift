import Foundation
import RagAssistant
import RagInference
import RagStore
import RagTesting
import Testing

/// A conversation's earlier turns in the prompt: before the sources, newest kept first within
/// their token budget, without the citations that named other turns' sources.
@Suite struct PromptHistoryTests {
    @Test func earlierTurnsGoFirstNewestKeptWithinTheBudgetWithoutCitations() async throws {
        let question = "How large can a BLOB be?"
        let retriever = Retriever(store: try await SharedCorpus.shared.store(), embedder: try TestModels.embedder.get())
        let retrieval = try await retriever.retrieval(question, method: .hybrid, access: .unrestricted)
        let sources = retrieval.hits.enumerated().map { Source(number: $0.offset + 1, hit: $0.element) }
        let index = try await SentenceIndex.build(question: question, questionVector: retrieval.vector,
                                                  sources: Array(sources.prefix(5)), embedder: retriever.embedder)
        let model = try TestModels.chat.get()
        let history = [
            Conversation.Turn(question: "What is the default page size?", answer: "The default page size is 4096 bytes [2]."),
            Conversation.Turn(question: "Can it be changed later?", answer: "Yes, with PRAGMA page_size before the database is created [1]."),
        ]
        let newest = "Q: Can it be changed later?\nA: Yes, with PRAGMA page_size before the database is created."
        let newestCost = try await model.tokenCount(newest)

        // Room for the newest turn only.
        let (tight, used) = try await PromptBuilder().messages(question: question, history: history, historyTokens: newestCost,
                                                               sources: sources, index: index, model: model)
        let user = try #require(tight.last?.content)
        #expect(user.hasPrefix("Earlier in this conversation:\n" + newest + "\n\nSources:"), "\(user)")
        #expect(!user.contains("default page size"))
        #expect(!used.isEmpty && used.count <= PromptBuilder().maxSources)

        // Room for both: oldest first; no budget: no history at all.
        let (roomy, _) = try await PromptBuilder().messages(question: question, history: history, historyTokens: 400,
                                                            sources: sources, index: index, model: model)
        let both = try #require(roomy.last?.content)
        let first = try #require(both.range(of: "Q: What is the default page size?"))
        let second = try #require(both.range(of: "Q: Can it be changed later?"))
        #expect(first.lowerBound < second.lowerBound)
        #expect(!both.contains("4096 bytes [2]") && both.contains("4096 bytes."))
        let (none, _) = try await PromptBuilder().messages(question: question, history: history, historyTokens: 0,
                                                           sources: sources, index: index, model: model)
        #expect(none.last?.content.hasPrefix("Sources:") == true)
    }
}
