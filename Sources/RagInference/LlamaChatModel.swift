import CLlama
import Foundation
import RagCore

/// Settings for `LlamaChatModel`.
public struct LlamaChatConfiguration: Sendable {
    /// The GGUF file (for the default model: `$RAGD_CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf`).
    public var modelPath: String
    /// Context window in tokens (prompt + reply). 0 uses the model's trained length.
    public var contextLength: Int
    /// CPU threads for prompt processing and generation.
    public var threads: Int
    /// Prompt tokens evaluated per `llama_decode` call.
    public var batchSize: Int

    public init(modelPath: String, contextLength: Int = 4096,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, batchSize: Int = 512) {
        self.modelPath = modelPath
        self.contextLength = contextLength
        self.threads = threads
        self.batchSize = batchSize
    }
}

/// A chat model run in-process by llama.cpp, with the chat template stored in its GGUF.
///
/// One context serves one reply at a time; concurrent requests queue on the actor. The KV
/// cache of the previous prompt is kept, so a request that shares its beginning (the system
/// prompt, typically) only evaluates the rest.
public actor LlamaChatModel: ChatModel {
    public nonisolated let identifier: String
    public nonisolated let contextLength: Int

    private let executor: DedicatedThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let model: LlamaModelHandle
    private let contextHandle: LlamaContextHandle
    private var context: OpaquePointer { contextHandle.pointer }
    private let template: String
    private let batchSize: Int
    /// The tokens whose state is in the KV cache of sequence 0, in order.
    private var cachedTokens: [llama_token] = []

    /// Loads the model and creates its context.
    /// - Throws: `InferenceError` when the file is missing, has no chat template, or the
    ///   context cannot be created.
    public init(configuration: LlamaChatConfiguration) throws(InferenceError) {
        let model = try LlamaModelHandle(path: configuration.modelPath, role: "chat")
        guard let template = model.chatTemplate else {
            throw InferenceError(
                .noChatTemplate,
                "\(configuration.modelPath) has no chat template (tokenizer.chat_template): use an instruction-tuned GGUF.")
        }
        let trained = model.trainedContextLength
        let n_ctx = configuration.contextLength > 0 ? min(configuration.contextLength, trained) : trained
        var params = llama_context_default_params()
        params.n_ctx = UInt32(n_ctx)
        params.n_batch = UInt32(configuration.batchSize)
        params.n_ubatch = UInt32(configuration.batchSize)
        params.n_seq_max = 1
        params.n_threads = Int32(configuration.threads)
        params.n_threads_batch = Int32(configuration.threads)
        params.no_perf = true
        guard let context = llama_init_from_model(model.pointer, params) else {
            throw InferenceError(
                .contextCreationFailed,
                "llama.cpp could not create a chat context of \(n_ctx) tokens for \(configuration.modelPath): "
                    + "lower models.chat_context in the configuration.")
        }
        self.model = model
        self.contextHandle = LlamaContextHandle(context, model: model)
        self.template = template
        self.batchSize = configuration.batchSize
        self.contextLength = n_ctx
        self.identifier = model.fileName
        self.executor = DedicatedThreadExecutor(name: "ragd.chat")
    }

    deinit {
        executor.shutdown()
    }

    public func tokenCount(_ text: String) throws -> Int {
        try model.tokenize(text, addSpecial: false, parseSpecial: false).count
    }

    /// The prompt text the chat template makes of `messages`, ending with the assistant's turn.
    public func formattedPrompt(_ messages: [ChatMessage]) throws(InferenceError) -> String {
        // Role and content strings must outlive the C call: duplicate them, free after.
        var cStrings: [UnsafeMutablePointer<CChar>] = []
        defer { cStrings.forEach { free($0) } }
        var chat: [llama_chat_message] = []
        for message in messages {
            let role = strdup(message.role.rawValue)!
            let content = strdup(message.content)!
            cStrings += [role, content]
            chat.append(llama_chat_message(role: role, content: content))
        }
        var capacity = max(1024, messages.reduce(0) { $0 + $1.content.utf8.count } * 2 + 256)
        for _ in 0..<2 {
            var buffer = [CChar](repeating: 0, count: capacity)
            let n = llama_chat_apply_template(template, chat, chat.count, true, &buffer, Int32(capacity))
            guard n >= 0 else {
                throw InferenceError(
                    .noChatTemplate,
                    "llama.cpp does not support the chat template of \(identifier); use a model with a known template.")
            }
            if Int(n) <= capacity {
                return String(decoding: buffer.prefix(Int(n)).map(UInt8.init(bitPattern:)), as: UTF8.self)
            }
            capacity = Int(n) + 1
        }
        throw InferenceError(.noChatTemplate, "The chat template of \(identifier) kept growing its output.")
    }

    public nonisolated func stream(_ messages: [ChatMessage], options: GenerationOptions)
        -> AsyncThrowingStream<GenerationEvent, any Error>
    {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let task = Task {
            do {
                try await self.generate(messages, options: options, into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Evaluates the prompt (reusing the cached prefix) and samples until a stop condition,
    /// yielding text as it comes. Runs entirely on the actor's thread.
    private func generate(_ messages: [ChatMessage], options: GenerationOptions,
                          into continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation) throws
    {
        let clock = ContinuousClock()
        let started = clock.now
        // The template's own markers (<|im_start|> ...) must parse as special tokens. The
        // messages were rendered into the template by llama.cpp; callers that put untrusted
        // text into messages neutralise marker look-alikes first (see RagAssistant).
        let prompt = try model.tokenize(try formattedPrompt(messages), addSpecial: true, parseSpecial: true)
        guard prompt.count + 1 < contextLength else {
            throw InferenceError(
                .promptTooLong,
                "The prompt has \(prompt.count) tokens; the context holds \(contextLength). Send less context.")
        }

        // Reuse the longest common prefix with what the cache holds (at least one token must be
        // evaluated to get logits for the first sampled token).
        var common = 0
        let limit = min(cachedTokens.count, prompt.count - 1)
        while common < limit, cachedTokens[common] == prompt[common] { common += 1 }
        let memory = llama_get_memory(context)
        if !llama_memory_seq_rm(memory, 0, llama_pos(common), -1) {
            llama_memory_clear(memory, true)
            common = 0
        }
        cachedTokens.removeSubrange(common...)

        var index = common
        while index < prompt.count {
            try Task.checkCancellation()
            let end = min(index + batchSize, prompt.count)
            try decode(Array(prompt[index..<end]))
            index = end
        }
        let promptDone = clock.now

        let sampler = makeSampler(options)
        defer { llama_sampler_free(sampler) }
        var assembler = TextAssembler(stop: options.stop)
        var generated = 0
        var firstText: ContinuousClock.Instant?
        var reason = GenerationStats.FinishReason.tokenLimit

        generation: while generated < options.maxTokens {
            if Task.isCancelled { reason = .cancelled; break }
            let token = llama_sampler_sample(sampler, context, -1)
            if model.isEndOfGeneration(token) { reason = .endOfGeneration; break }
            generated += 1
            let (text, stopped) = assembler.append(model.piece(token))
            if !text.isEmpty {
                if firstText == nil { firstText = clock.now }
                continuation.yield(.text(text))
            }
            if stopped { reason = .stopSequence; break generation }
            guard cachedTokens.count + 1 < contextLength else { reason = .contextFull; break }
            try decode([token])
        }
        if reason != .stopSequence {
            let rest = assembler.flush()
            if !rest.isEmpty {
                if firstText == nil { firstText = clock.now }
                continuation.yield(.text(rest))
            }
        }
        let finished = clock.now
        continuation.yield(.finished(GenerationStats(
            finishReason: reason,
            promptTokens: prompt.count,
            cachedPromptTokens: common,
            generatedTokens: generated,
            promptMilliseconds: (promptDone - started).milliseconds,
            timeToFirstTokenMilliseconds: ((firstText ?? finished) - started).milliseconds,
            generationMilliseconds: (finished - promptDone).milliseconds)))
    }

    /// Evaluates `tokens` after what the cache holds and records them as cached.
    private func decode(_ tokens: [llama_token]) throws(InferenceError) {
        var tokens = tokens
        let status = tokens.withUnsafeMutableBufferPointer { buffer in
            llama_decode(context, llama_batch_get_one(buffer.baseAddress, Int32(buffer.count)))
        }
        guard status == 0 else {
            // The cache may hold part of the batch: start clean next time.
            llama_memory_clear(llama_get_memory(context), true)
            cachedTokens.removeAll()
            throw InferenceError(
                .decodeFailed,
                "llama.cpp failed to evaluate \(tokens.count) tokens (status \(status)). "
                    + (status == 1 ? "The context is full: send a shorter prompt." : "See the log for llama.cpp's message."))
        }
        cachedTokens += tokens
    }

    private func makeSampler(_ options: GenerationOptions) -> UnsafeMutablePointer<llama_sampler> {
        let chain = llama_sampler_chain_init(llama_sampler_chain_default_params())!
        if options.repeatPenalty != 1 {
            llama_sampler_chain_add(chain, llama_sampler_init_penalties(
                llama_vocab_n_tokens(model.vocab), Int32(options.repeatWindow), options.repeatPenalty, 0, 0))
        }
        if options.temperature <= 0 {
            llama_sampler_chain_add(chain, llama_sampler_init_greedy())
        } else {
            llama_sampler_chain_add(chain, llama_sampler_init_top_k(Int32(options.topK)))
            llama_sampler_chain_add(chain, llama_sampler_init_top_p(options.topP, 1))
            llama_sampler_chain_add(chain, llama_sampler_init_temp(options.temperature))
            llama_sampler_chain_add(chain, llama_sampler_init_dist(options.seed))
        }
        return chain
    }
}
