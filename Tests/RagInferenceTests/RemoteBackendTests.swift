import Foundation
import RagInference
import RagTesting
import Testing

/// The OpenAI-compatible backend against a real HTTP server on loopback.
///
/// The server (RagTesting's `OpenAICompatibleTestServer`) speaks the wire format of vLLM,
/// llama-server and Ollama, with answers from the real in-process models.
@Suite(.serialized) struct RemoteBackendTests {
    static func withServer(apiKey: String? = nil, _ body: @Sendable (String) async throws -> Void) async throws {
        let server = OpenAICompatibleTestServer(
            chat: try TestModels.chat.get(), embedder: try TestModels.embedder.get(), apiKey: apiKey)
        try await server.run(body)
    }

    @Test func embeddingsMatchTheInProcessModel() async throws {
        try await Self.withServer { url in
            let remote = RemoteEmbeddingModel(endpoint: RemoteEndpoint(baseURL: url, model: "minilm"), dimensions: 384)
            let texts = ["How do I reset my VPN password?", "Expense claims are due within 30 days."]
            let overHTTP = try await remote.embed(texts)
            let local = try await TestModels.embedder.get().embed(texts)
            for i in texts.indices {
                #expect(cosineSimilarity(overHTTP.vectors[i], local.vectors[i]) > 0.9999)
            }
        }
    }

    @Test func chatStreamsOverServerSentEvents() async throws {
        try await Self.withServer(apiKey: "s3cret") { url in
            let remote = RemoteChatModel(endpoint: RemoteEndpoint(baseURL: url + "/v1", model: "smollm2", apiKey: "s3cret"))
            var pieces: [String] = []
            var stats: GenerationStats?
            for try await event in remote.stream(ChatModelTests.messages, options: GenerationOptions(maxTokens: 40)) {
                switch event {
                case .text(let t): pieces.append(t)
                case .finished(let s): stats = s
                }
            }
            #expect(pieces.count > 1)
            #expect(pieces.joined().contains("7"), "reply: \(pieces.joined())")
            #expect((stats?.promptTokens ?? 0) > 40, "usage is read from the final chunk")
            #expect((stats?.generatedTokens ?? 0) > 0)
        }
    }

    @Test func wrongApiKeyIsAClearError() async throws {
        try await Self.withServer(apiKey: "right") { url in
            let remote = RemoteChatModel(endpoint: RemoteEndpoint(baseURL: url, model: "smollm2", apiKey: "wrong"))
            await #expect {
                _ = try await remote.complete([.user("hi")])
            } throws: { error in
                let error = error as? InferenceError
                return error?.kind == .remoteUnavailable && error?.description.contains("401") == true
            }
        }
    }

    @Test func unreachableServerIsAClearError() async throws {
        // Port 9 on loopback (discard) has no listener here.
        let remote = RemoteEmbeddingModel(
            endpoint: RemoteEndpoint(baseURL: "http://127.0.0.1:9", model: "m", timeout: .seconds(2)), dimensions: 384)
        await #expect {
            _ = try await remote.embed(["x"])
        } throws: { error in
            (error as? InferenceError)?.kind == .remoteUnavailable
        }
    }
}
