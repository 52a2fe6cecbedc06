import AsyncHTTPClient
import Foundation
import RagCore

/// A chat model behind an OpenAI-compatible `/v1/chat/completions` endpoint, streamed over SSE.
public struct RemoteChatModel: ChatModel {
    public let identifier: String
    public let contextLength: Int
    private let client: OpenAICompatibleClient

    /// - Parameters:
    ///   - contextLength: the server's context window, as configured by the administrator.
    ///   - httpClient: defaults to the process-wide shared client (or, for an endpoint pinned
    ///     by `EndpointPolicy.pinned`, the client that connects to its pinned address).
    public init(endpoint: RemoteEndpoint, contextLength: Int = 8192, httpClient: HTTPClient? = nil) {
        self.client = OpenAICompatibleClient(endpoint: endpoint, httpClient: httpClient)
        self.identifier = endpoint.model
        self.contextLength = contextLength
    }

    /// An estimate (a token per four bytes): the server's tokenizer is not available here.
    public func tokenCount(_ text: String) async throws -> Int { (text.utf8.count + 3) / 4 }

    public func stream(_ messages: [ChatMessage], options: GenerationOptions)
        -> AsyncThrowingStream<GenerationEvent, any Error>
    {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let request = ChatRequest(
            model: client.endpoint.model,
            messages: messages.map { .init(role: $0.role.rawValue, content: $0.content) },
            stream: true,
            max_tokens: options.maxTokens,
            temperature: options.temperature,
            top_p: options.topP,
            stop: options.stop.isEmpty ? nil : options.stop,
            seed: Int(options.seed),
            stream_options: .init(include_usage: true))
        let task = Task {
            let clock = ContinuousClock()
            let started = clock.now
            var firstText: ContinuousClock.Instant?
            var pieces = 0
            var finish = GenerationStats.FinishReason.endOfGeneration
            var usage: ChatChunk.Usage?
            do {
                for try await payload in try await client.events("chat/completions", body: request) {
                    let chunk: ChatChunk
                    do {
                        chunk = try JSONDecoder().decode(ChatChunk.self, from: Data(payload.utf8))
                    } catch {
                        throw InferenceError(
                            .remoteProtocol,
                            "The model server at \(client.endpoint.baseURL) streamed an event that is not a chat "
                                + "completion chunk: \(error)")
                    }
                    if let u = chunk.usage { usage = u }
                    for choice in chunk.choices ?? [] {
                        if let text = choice.delta?.content, !text.isEmpty {
                            if firstText == nil { firstText = clock.now }
                            pieces += 1
                            continuation.yield(.text(text))
                        }
                        switch choice.finish_reason {
                        case "length": finish = .tokenLimit
                        case "stop": finish = .endOfGeneration
                        default: break
                        }
                    }
                }
                if Task.isCancelled { finish = .cancelled }
                let done = clock.now
                let ttft = ((firstText ?? done) - started).milliseconds
                continuation.yield(.finished(GenerationStats(
                    finishReason: finish,
                    promptTokens: usage?.prompt_tokens ?? 0,
                    cachedPromptTokens: 0,
                    generatedTokens: usage?.completion_tokens ?? pieces,
                    promptMilliseconds: ttft,
                    timeToFirstTokenMilliseconds: ttft,
                    generationMilliseconds: (done - (firstText ?? done)).milliseconds)))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    struct ChatRequest: Encodable {
        struct Message: Encodable { var role: String; var content: String }
        struct StreamOptions: Encodable { var include_usage: Bool }
        var model: String
        var messages: [Message]
        var stream: Bool
        var max_tokens: Int
        var temperature: Float
        var top_p: Float
        var stop: [String]?
        var seed: Int
        var stream_options: StreamOptions
    }

    struct ChatChunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable { var content: String? }
            var delta: Delta?
            var finish_reason: String?
        }
        struct Usage: Decodable { var prompt_tokens: Int?; var completion_tokens: Int? }
        var choices: [Choice]?
        var usage: Usage?
    }
}

/// An embedding model behind an OpenAI-compatible `/v1/embeddings` endpoint.
public struct RemoteEmbeddingModel: EmbeddingModel {
    public let identifier: String
    public let dimensions: Int
    public let maxTokens: Int
    public let tokenCounter: any TokenCounter = EstimatingTokenCounter()
    /// Task prefixes the server's model expects (none unless configured).
    public let prefixes: EmbeddingPrefixes
    private let client: OpenAICompatibleClient

    /// - Parameters:
    ///   - dimensions: the vector length the server's model produces (checked on every reply).
    ///   - maxTokens: the server model's input limit, used by the chunker.
    ///   - prefixes: task prefixes to put before queries and passages (e.g. `.nomic`).
    public init(endpoint: RemoteEndpoint, dimensions: Int, maxTokens: Int = 256, prefixes: EmbeddingPrefixes = .none,
                httpClient: HTTPClient? = nil) {
        self.client = OpenAICompatibleClient(endpoint: endpoint, httpClient: httpClient)
        self.prefixes = prefixes
        self.identifier = endpoint.model
        self.dimensions = dimensions
        self.maxTokens = maxTokens
    }

    /// An estimate (a token per four bytes, plus two special tokens).
    public func tokenCount(_ text: String) async throws -> Int { (text.utf8.count + 3) / 4 + 2 }

    public func embed(_ texts: [String], as purpose: EmbeddingPurpose) async throws -> EmbeddingBatch {
        let texts = texts.map { prefixes.apply($0, for: purpose) }
        guard !texts.isEmpty else { return EmbeddingBatch(vectors: [], tokenCounts: [], truncatedCount: 0) }
        struct Request: Encodable { var model: String; var input: [String] }
        struct Response: Decodable {
            struct Item: Decodable { var index: Int; var embedding: [Float] }
            var data: [Item]
        }
        let response = try await client.post(
            "embeddings", body: Request(model: client.endpoint.model, input: texts), as: Response.self)
        var vectors = [[Float]](repeating: [], count: texts.count)
        for item in response.data where vectors.indices.contains(item.index) {
            guard item.embedding.count == dimensions else {
                throw InferenceError(
                    .remoteProtocol,
                    "The embedding server returned \(item.embedding.count) dimensions; the configuration says "
                        + "\(dimensions). Fix embedding.dimensions or the model name.")
            }
            vectors[item.index] = l2Normalized(item.embedding)
        }
        guard !vectors.contains(where: \.isEmpty) else {
            throw InferenceError(.remoteProtocol, "The embedding server returned fewer vectors than texts sent.")
        }
        return EmbeddingBatch(vectors: vectors, tokenCounts: Array(repeating: 0, count: texts.count), truncatedCount: 0)
    }
}
