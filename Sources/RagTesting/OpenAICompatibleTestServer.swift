import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import RagCore
import RagInference

/// A real OpenAI-compatible HTTP endpoint on loopback whose answers come from real models.
///
/// It speaks the wire format vLLM, llama-server and Ollama speak (JSON for `/v1/embeddings`,
/// server-sent events for streamed `/v1/chat/completions`), so the remote backend and the
/// router are tested over real HTTP. It counts the requests it serves.
public struct OpenAICompatibleTestServer: Sendable {
    public let chat: any ChatModel
    public let embedder: (any EmbeddingModel)?
    public let apiKey: String?
    public let requests = RequestCounter()

    public init(chat: any ChatModel, embedder: (any EmbeddingModel)? = nil, apiKey: String? = nil) {
        self.chat = chat
        self.embedder = embedder
        self.apiKey = apiKey
    }

    /// Starts the server on an ephemeral loopback port, runs `body` with its base URL, stops it.
    public func run(_ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.middlewares.add(BearerCheck(apiKey: apiKey))
        let counter = requests
        let embedder = self.embedder
        let chat = self.chat
        router.post("/v1/embeddings") { request, context -> Response in
            await counter.increment()
            guard let embedder else { return Response(status: .notFound) }
            let body = try await request.decode(as: EmbeddingsRequest.self, context: context)
            let vectors = try await embedder.embed(body.input).vectors
            let data = vectors.enumerated().map {
                ["object": "embedding", "index": $0.offset, "embedding": $0.element] as [String: Any]
            }
            let json = try JSONSerialization.data(withJSONObject: ["object": "list", "data": data, "model": body.model])
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: json)))
        }
        router.post("/v1/chat/completions") { request, context -> Response in
            await counter.increment()
            let body = try await request.decode(as: ChatRequest.self, context: context)
            let messages = body.messages.map { ChatMessage(ChatMessage.Role(rawValue: $0.role) ?? .user, $0.content) }
            let events = chat.stream(messages, options: GenerationOptions(maxTokens: body.max_tokens ?? 64))
            let stream = AsyncStream<ByteBuffer> { continuation in
                let task = Task {
                    func send(_ object: [String: Any]) {
                        guard let json = try? JSONSerialization.data(withJSONObject: object) else { return }
                        continuation.yield(ByteBuffer(string: ServerSentEvent(data: String(decoding: json, as: UTF8.self)).encoded))
                    }
                    do {
                        for try await event in events {
                            switch event {
                            case .text(let text):
                                send(["object": "chat.completion.chunk",
                                      "choices": [["index": 0, "delta": ["content": text]]]])
                            case .finished(let stats):
                                send(["object": "chat.completion.chunk",
                                      "choices": [["index": 0, "delta": [:] as [String: Any],
                                                   "finish_reason": stats.finishReason == .tokenLimit ? "length" : "stop"]]])
                                send(["object": "chat.completion.chunk", "choices": [] as [Any],
                                      "usage": ["prompt_tokens": stats.promptTokens,
                                                "completion_tokens": stats.generatedTokens]])
                            }
                        }
                    } catch {}
                    continuation.yield(ByteBuffer(string: ServerSentEvent(data: "[DONE]").encoded))
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel() }
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(asyncSequence: stream))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            guard let port = client.port else { throw TestServerError.noPort }
            try await body("http://127.0.0.1:\(port)")
        }
    }

    struct EmbeddingsRequest: Decodable { var model: String; var input: [String] }
    struct ChatRequest: Decodable {
        struct Message: Decodable { var role: String; var content: String }
        var model: String
        var messages: [Message]
        var stream: Bool?
        var max_tokens: Int?
    }

    struct BearerCheck: RouterMiddleware {
        let apiKey: String?
        func handle(_ request: Request, context: BasicRequestContext,
                    next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
            if let apiKey, request.headers[.authorization] != "Bearer \(apiKey)" { return Response(status: .unauthorized) }
            return try await next(request, context)
        }
    }

    enum TestServerError: Error { case noPort }
}

/// How many requests a test server answered.
public actor RequestCounter {
    public private(set) var count = 0
    func increment() { count += 1 }
}
