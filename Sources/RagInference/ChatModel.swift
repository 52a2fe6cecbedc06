/// Generates a reply to a conversation, token by token.
///
/// Implemented in-process by `LlamaChatModel` and remotely by `OpenAICompatibleBackend`.
public protocol ChatModel: Sendable {
    /// A stable name for the model, recorded with every answer in the audit log.
    var identifier: String { get }
    /// The most tokens prompt and reply may take together.
    var contextLength: Int { get }

    /// Streams the reply to `messages`. The stream yields `.text` pieces, then one `.finished`
    /// with counts and timings, then ends. Cancelling the consuming task (or dropping the
    /// stream) stops generation before the next token.
    /// - Throws (from the stream): `InferenceError` when the prompt does not fit or the model fails.
    func stream(_ messages: [ChatMessage], options: GenerationOptions) -> AsyncThrowingStream<GenerationEvent, any Error>

    /// How many tokens `text` takes in this model's vocabulary (an estimate for remote models).
    func tokenCount(_ text: String) async throws -> Int

    /// Reads `messages` into the model's cache without writing a reply, so that a request
    /// beginning the same way soon after evaluates only the rest (a draft question's prompt,
    /// read while the employee finishes typing). Models without a cache of their own do nothing.
    func prefill(_ messages: [ChatMessage]) async throws
}

extension ChatModel {
    public func prefill(_ messages: [ChatMessage]) async throws {}
}

/// One turn of a conversation.
public struct ChatMessage: Sendable, Codable, Equatable {
    public enum Role: String, Sendable, Codable { case system, user, assistant }
    public var role: Role
    public var content: String

    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(.system, content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(.user, content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(.assistant, content) }
}

/// Sampling and stopping settings for one reply.
public struct GenerationOptions: Sendable, Equatable {
    /// Most tokens to generate.
    public var maxTokens: Int
    /// 0 picks the most likely token every time (deterministic).
    public var temperature: Float
    public var topP: Float
    public var topK: Int
    /// Penalty for repeating recent tokens (1 = off). Small models loop without one.
    public var repeatPenalty: Float
    /// How many recent tokens the repeat penalty looks at.
    public var repeatWindow: Int
    public var seed: UInt32
    /// Generation stops before any of these strings would be emitted.
    public var stop: [String]

    public init(maxTokens: Int = 256, temperature: Float = 0, topP: Float = 0.9, topK: Int = 40,
                repeatPenalty: Float = 1.15, repeatWindow: Int = 64, seed: UInt32 = 42, stop: [String] = []) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.repeatPenalty = repeatPenalty
        self.repeatWindow = repeatWindow
        self.seed = seed
        self.stop = stop
    }
}

/// What a reply stream yields.
public enum GenerationEvent: Sendable, Equatable {
    /// The next piece of the reply (whole UTF-8 characters).
    case text(String)
    /// The last event: why generation stopped, with counts and timings.
    case finished(GenerationStats)
}

/// Counts and timings of one reply.
public struct GenerationStats: Sendable, Equatable, Codable {
    public enum FinishReason: String, Sendable, Codable {
        /// The model produced its end-of-turn token.
        case endOfGeneration = "stop"
        /// `GenerationOptions.maxTokens` was reached.
        case tokenLimit = "length"
        /// A stop string was reached.
        case stopSequence = "stop_sequence"
        /// The consumer cancelled.
        case cancelled
        /// The context window filled up.
        case contextFull = "context_full"
    }

    public var finishReason: FinishReason
    /// Prompt tokens, including those served from the cache.
    public var promptTokens: Int
    /// Prompt tokens whose state was reused from the previous request (shared prefix).
    public var cachedPromptTokens: Int
    public var generatedTokens: Int
    /// Time to evaluate the prompt (the uncached part).
    public var promptMilliseconds: Double
    /// Time from the request to the first generated text.
    public var timeToFirstTokenMilliseconds: Double
    /// Time spent generating after the prompt.
    public var generationMilliseconds: Double
    /// Personal data replaced by placeholders before the prompt left the process, counted by
    /// kind (`EMAIL`, `PHONE`, …); empty for a model that saw the prompt as it was.
    public var redacted: [String: Int] = [:]

    public init(finishReason: FinishReason, promptTokens: Int, cachedPromptTokens: Int, generatedTokens: Int,
                promptMilliseconds: Double, timeToFirstTokenMilliseconds: Double, generationMilliseconds: Double) {
        self.finishReason = finishReason
        self.promptTokens = promptTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.generatedTokens = generatedTokens
        self.promptMilliseconds = promptMilliseconds
        self.timeToFirstTokenMilliseconds = timeToFirstTokenMilliseconds
        self.generationMilliseconds = generationMilliseconds
    }

    /// Prompt tokens evaluated per second (uncached part).
    public var promptTokensPerSecond: Double {
        promptMilliseconds > 0 ? Double(promptTokens - cachedPromptTokens) / promptMilliseconds * 1000 : 0
    }

    /// Generated tokens per second.
    public var generationTokensPerSecond: Double {
        generationMilliseconds > 0 ? Double(generatedTokens) / generationMilliseconds * 1000 : 0
    }
}

/// A whole reply, as returned by `ChatModel.complete`.
public struct ChatCompletion: Sendable, Equatable {
    public var text: String
    public var stats: GenerationStats
}

extension ChatModel {
    /// Generates the whole reply and returns it with its statistics.
    public func complete(_ messages: [ChatMessage], options: GenerationOptions = GenerationOptions()) async throws
        -> ChatCompletion
    {
        var text = ""
        for try await event in stream(messages, options: options) {
            switch event {
            case .text(let piece): text += piece
            case .finished(let stats): return ChatCompletion(text: text, stats: stats)
            }
        }
        throw InferenceError(.remoteProtocol, "The reply stream of \(identifier) ended without statistics.")
    }
}
