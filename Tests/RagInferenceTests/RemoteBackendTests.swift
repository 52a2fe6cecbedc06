import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RagInference
import Testing

/// The OpenAI-compatible backend against a real HTTP server on loopback.
///
/// The server is a minimal OpenAI-compatible endpoint (as vLLM, llama-server or Ollama expose)
/// whose answers come from the real in-process models, so what crosses the wire is real model
/// output in the real wire format: JSON for embeddings, server-sent events for chat.
@Suite(.serialized) struct RemoteBackendTests {
    struct EmbeddingsRequest: Decodable { var model: String; var input: [String] }
    struct ChatRequest: Decodable {
        struct Message: Decodable { var role: String; var content: String }
        var model: String
        var messages: [Message]
        var stream: Bool?
        var max_tokens: Int?
    }

    /// Starts the server on an ephemeral loopback port, runs `body` with its base URL, stops it.
    static func withServer(apiKey: String? = nil, _ body: @Sendable (String) async throws -> Void) async throws {
        let embedder = try TestModels.embedder.get()
        let chat = try TestModels.chat.get()
        let router = Router()
        router.middlewares.add(BearerCheck(apiKey: apiKey))
        router.post("/v1/embeddings") { request, context -> Response in
            let body = try await request.decode(as: EmbeddingsRequest.self, context: context)
            let vectors = try await embedder.embed(body.input).vectors
            let data = vectors.enumerated().map { ["object": "embedding", "index": $0.offset, "embedding": $0.element] as [String: Any] }
            let json = try JSONSerialization.data(withJSONObject: ["object": "list", "data": data, "model": body.model])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
        }
        router.post("/v1/chat/completions") { request, context -> Response in
            let body = try await request.decode(as: ChatRequest.self, context: context)
            let messages = body.messages.map { ChatMessage(ChatMessage.Role(rawValue: $0.role) ?? .user, $0.content) }
            let events = chat.stream(messages, options: GenerationOptions(maxTokens: body.max_tokens ?? 64))
            let stream = AsyncStream<ByteBuffer> { continuation in
                let task = Task {
                    func send(_ object: [String: Any]) {
                        let json = try! JSONSerialization.data(withJSONObject: object)
                        continuation.yield(ByteBuffer(string: "data: " + String(decoding: json, as: UTF8.self) + "\n\n"))
                    }
                    do {
                        for try await event in events {
                            switch event {
                            case .text(let text):
                                send(["object": "chat.completion.chunk", "choices": [["index": 0, "delta": ["content": text]]]])
                            case .finished(let stats):
                                send(["object": "chat.completion.chunk",
                                      "choices": [["index": 0, "delta": [:] as [String: Any],
                                                   "finish_reason": stats.finishReason == .tokenLimit ? "length" : "stop"]]])
                                send(["object": "chat.completion.chunk", "choices": [] as [Any],
                                      "usage": ["prompt_tokens": stats.promptTokens, "completion_tokens": stats.generatedTokens]])
                            }
                        }
                    } catch {}
                    continuation.yield(ByteBuffer(string: "data: [DONE]\n\n"))
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel() }
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(asyncSequence: stream))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)")
        }
    }

    struct BearerCheck: RouterMiddleware {
        let apiKey: String?
        func handle(_ request: Request, context: BasicRequestContext,
                    next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
            if let apiKey, request.headers[.authorization] != "Bearer \(apiKey)" {
                return Response(status: .unauthorized)
            }
            return try await next(request, context)
        }
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
