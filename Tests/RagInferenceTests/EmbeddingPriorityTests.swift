import Foundation
import RagInference
import RagTesting
import Testing

/// A question's embedding does not wait for an ingest's embedding work queued before it.
@Suite struct EmbeddingPriorityTests {
    @Test func aQuestionOvertakesARunningIngest() async throws {
        let model = try TestModels.embedder.get()
        // 96 texts of ~250 tokens: 96 llama_encode calls, about ten seconds of work on an idle
        // machine, so that scheduling delays of a busy test run cannot reverse the order.
        let passages = (0..<96).map { i in
            "Passage \(i). " + String(repeating: "The quarterly report lists every invoice and its due date. ", count: 24)
        }
        let ingest = Task(priority: .utility) { () -> ContinuousClock.Instant in
            _ = try await model.embed(passages)
            return ContinuousClock.now
        }
        try await Task.sleep(for: .milliseconds(300))  // the ingest is encoding by now
        let vector = try await Task(priority: .medium) { try await model.embed("How do I reset my password?") }.value
        let questionDone = ContinuousClock.now
        let ingestDone = try await ingest.value
        #expect(vector.count == model.dimensions)
        // Without priority and yielding between batches the question would finish after all 96.
        #expect(questionDone < ingestDone)
    }
}
