import CLlama
import Foundation
import RagCore

/// Settings for `LlamaChatModel`.
public struct LlamaChatConfiguration: Sendable {
    /// The GGUF file (for the default model: `$RAGD_CACHE/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf`).
    public var modelPath: String
    /// Context window in tokens: the most one reply's prompt and text may take, and the KV cells
    /// the replies in flight share (a prompt prefix they have in common is stored once). 0 uses
    /// the model's trained length.
    public var contextLength: Int
    /// CPU threads for prompt processing and generation.
    public var threads: Int
    /// Most tokens per `llama_decode` call (prompt tokens and the replies' next tokens together).
    public var batchSize: Int
    /// Replies decoded together in one batch. A new question's prompt is evaluated between the
    /// tokens of the replies already running instead of after them. 1 answers one at a time.
    public var parallel: Int

    public init(modelPath: String, contextLength: Int = 4096,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, batchSize: Int = 512,
                parallel: Int = 4) {
        self.modelPath = modelPath
        self.contextLength = contextLength
        self.threads = threads
        self.batchSize = batchSize
        self.parallel = parallel
    }
}

/// A chat model run in-process by llama.cpp, with the chat template stored in its GGUF.
///
/// Several replies are generated at once, the way llama-server's slots do it: each reply has
/// its own sequence in one shared KV cache, its own sampler, and one row in every decode batch,
/// so decoding four replies costs little more than decoding one. A new prompt is evaluated in
/// chunks between the running replies' tokens, so its first text does not wait for their ends.
/// The replies admitted at once are bounded by `parallel` and by the context's cells (each
/// reserves its prompt and its `maxTokens`); the rest wait their turn.
///
/// A finished reply's sequence keeps its cache: a later prompt that shares its beginning (the
/// system prompt, typically) evaluates only the rest, and it can take that beginning from any
/// sequence that holds it (`llama_memory_seq_cp` shares the cells, it does not copy them).
public actor LlamaChatModel: ChatModel {
    public nonisolated let identifier: String
    public nonisolated let contextLength: Int
    /// Replies decoded together at most.
    public nonisolated let parallel: Int

    private let executor: DedicatedThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let model: LlamaModelHandle
    private let contextHandle: LlamaContextHandle
    private var context: OpaquePointer { contextHandle.pointer }
    private let template: String
    private let batchSize: Int
    private let batch: LlamaBatch
    /// What each sequence's KV cache holds, and the reply it serves (if any).
    private var sequences: [ChatSequence]
    /// Replies waiting for a sequence (or for cells), first come first served.
    private var waiting: [ChatReply] = []
    /// Whether the decode loop is running.
    private var running = false

    /// Prompt tokens evaluated in one batch while other replies are decoding: a smaller chunk
    /// keeps their tokens coming while a new prompt is evaluated.
    private var promptChunkWhileDecoding: Int { max(32, batchSize / 4) }

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
        let parallel = min(max(1, configuration.parallel), max(1, configuration.batchSize / 2))
        var params = llama_context_default_params()
        params.n_ctx = UInt32(n_ctx)
        params.n_batch = UInt32(configuration.batchSize)
        params.n_ubatch = UInt32(configuration.batchSize)
        params.n_seq_max = UInt32(parallel)
        // One cache for all sequences: a shared prefix is stored once, and a reply may use
        // the whole context when it runs alone.
        params.kv_unified = true
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
        self.batch = LlamaBatch(capacity: configuration.batchSize)
        self.contextLength = n_ctx
        self.parallel = parallel
        self.sequences = (0..<parallel).map { ChatSequence(id: llama_seq_id($0)) }
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
        let ticket = ChatTicket()
        continuation.onTermination = { _ in ticket.cancel() }
        Task {
            do {
                try await self.submit(messages, options: options, ticket: ticket, continuation: continuation)
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    /// Evaluates the prompt of `messages` into a sequence and keeps it there (a reply of no
    /// tokens): the next prompt with the same beginning takes those cells instead of reading it.
    public nonisolated func prefill(_ messages: [ChatMessage]) async throws {
        for try await _ in stream(messages, options: GenerationOptions(maxTokens: 0)) {}
    }

    /// Tokenizes the prompt and queues the reply; the decode loop takes it from there.
    private func submit(_ messages: [ChatMessage], options: GenerationOptions, ticket: ChatTicket,
                        continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation) throws
    {
        // The template's own markers (<|im_start|> ...) must parse as special tokens. The
        // messages were rendered into the template by llama.cpp; callers that put untrusted
        // text into messages neutralise marker look-alikes first (see RagAssistant).
        let prompt = try model.tokenize(try formattedPrompt(messages), addSpecial: true, parseSpecial: true)
        guard prompt.count + 1 < contextLength else {
            throw InferenceError(
                .promptTooLong,
                "The prompt has \(prompt.count) tokens; the context holds \(contextLength). Send less context.")
        }
        let reply = ChatReply(prompt: prompt, options: options, ticket: ticket, continuation: continuation,
                              reservedCells: min(prompt.count + max(1, options.maxTokens), contextLength))
        waiting.append(reply)
        admitWaiting()
        if !running {
            running = true
            // Low priority: between two batches, the executor runs the jobs that queued
            // meanwhile (a new question, a token count) before the next batch.
            Task(priority: .low) { await self.runBatches() }
        }
    }

    // MARK: Admission

    /// Gives waiting replies a free sequence while the context has cells for them.
    private func admitWaiting() {
        waiting.removeAll { reply in
            if reply.ticket.isCancelled { reply.continuation.finish(throwing: CancellationError()) }
            return reply.ticket.isCancelled
        }
        while let reply = waiting.first {
            // How much of the prompt each sequence holds already, at most all but its last
            // token (whose logits give the first sampled token).
            let held = sequences.map { min($0.commonPrefix(with: reply.prompt), reply.prompt.count - 1) }
            guard let slot = freeSequence(held: held), makeRoom(for: reply.reservedCells, keeping: slot)
            else { return }
            waiting.removeFirst()
            start(reply, on: slot, held: held)
        }
    }

    /// The idle sequence that holds the longest beginning of the prompt (`held`); of equals, the
    /// one used longest ago (a recent cache, such as a prefilled draft, is kept longer).
    private func freeSequence(held: [Int]) -> Int? {
        sequences.indices.filter { sequences[$0].reply == nil }
            .max { a, b in held[a] != held[b] ? held[a] < held[b] : sequences[a].lastUsed > sequences[b].lastUsed }
    }

    /// Whether `cells` fit beside the replies running and the caches kept, dropping idle caches
    /// (except `slot`'s) until they do. Shared cells are counted once per sequence, so this
    /// errs on the safe side.
    private func makeRoom(for cells: Int, keeping slot: Int) -> Bool {
        func used() -> Int {
            sequences.indices.reduce(0) { total, i in
                total + (sequences[i].reply.map { $0.reservedCells } ?? (i == slot ? 0 : sequences[i].cached.count))
            }
        }
        let memory = llama_get_memory(context)
        let idle = sequences.indices.filter { $0 != slot && sequences[$0].reply == nil }
            .sorted { sequences[$0].lastUsed < sequences[$1].lastUsed }
        for i in idle where used() + cells > contextLength {
            llama_memory_seq_rm(memory, sequences[i].id, -1, -1)
            sequences[i].cached.removeAll()
        }
        return used() + cells <= contextLength
    }

    /// Puts `reply` on sequence `slot`, reusing the longest cached beginning of its prompt
    /// (`held`, per sequence): the slot's own, or another sequence's shared into it.
    private func start(_ reply: ChatReply, on slot: Int, held: [Int]) {
        var reply = reply
        let memory = llama_get_memory(context)
        var common = held[slot]
        if let donor = held.indices.max(by: { held[$0] < held[$1] }), held[donor] > common {
            llama_memory_seq_rm(memory, sequences[slot].id, -1, -1)
            llama_memory_seq_cp(memory, sequences[donor].id, sequences[slot].id, 0, llama_pos(held[donor]))
            common = held[donor]
        } else if !llama_memory_seq_rm(memory, sequences[slot].id, llama_pos(common), -1) {
            llama_memory_seq_rm(memory, sequences[slot].id, -1, -1)
            common = 0
        }
        sequences[slot].cached = Array(reply.prompt[..<common])
        reply.cachedPromptTokens = common
        reply.admitted = ContinuousClock.now
        reply.sampler = makeSampler(reply.options)
        sequences[slot].reply = reply
    }

    // MARK: The decode loop

    /// Decodes batches until no reply is left: each batch holds the next token of every reply
    /// that is generating, then prompt tokens of replies still reading theirs.
    private func runBatches() async {
        defer { running = false }
        while true {
            finishCancelledReplies()
            admitWaiting()
            guard sequences.contains(where: { $0.reply != nil }) else { return }
            step()
            await Task.yield()
        }
    }

    /// One `llama_decode` for every reply in flight, then one sampled token for each reply
    /// whose prompt is done.
    private func step() {
        batch.clear()
        // Rows whose logits are sampled after the decode: (sequence index, batch row).
        var sampled: [(slot: Int, row: Int32)] = []
        for i in sequences.indices {
            guard let token = sequences[i].reply?.pendingToken else { continue }
            sampled.append((i, batch.add(token, position: sequences[i].cached.count, sequence: sequences[i].id, logits: true)))
            sequences[i].cached.append(token)
            sequences[i].reply?.pendingToken = nil
        }
        let generating = sampled.count
        var budget = (generating > 0 ? promptChunkWhileDecoding : batchSize) - generating
        let reading = sequences.indices.filter { sequences[$0].isReadingPrompt }
            .sorted { sequences[$0].reply!.admitted < sequences[$1].reply!.admitted }
        for i in reading where budget > 0 {
            let prompt = sequences[i].reply!.prompt
            let from = sequences[i].cached.count
            let to = min(prompt.count, from + budget)
            for position in from..<to {
                let row = batch.add(prompt[position], position: position, sequence: sequences[i].id,
                                    logits: position == prompt.count - 1)
                if position == prompt.count - 1 { sampled.append((i, row)) }
            }
            sequences[i].cached += prompt[from..<to]
            budget -= to - from
        }
        guard batch.count > 0 else { return }

        let status = llama_decode(context, batch.raw)
        guard status == 0 else {
            failAll(InferenceError(
                .decodeFailed,
                "llama.cpp failed to evaluate \(batch.count) tokens (status \(status)). "
                    + (status == 1 ? "The context is full: send a shorter prompt." : "See the log for llama.cpp's message.")))
            return
        }
        let now = ContinuousClock.now
        for (slot, row) in sampled {
            if sequences[slot].reply?.promptDone == nil { sequences[slot].reply?.promptDone = now }
            sample(slot: slot, row: row)
        }
    }

    /// Samples the next token of the reply on `slot` from batch row `row` and passes its text on.
    private func sample(slot: Int, row: Int32) {
        guard var reply = sequences[slot].reply, let sampler = reply.sampler else { return }
        if reply.options.maxTokens <= 0 { return finish(slot, reason: .tokenLimit) }  // a prefill
        let token = llama_sampler_sample(sampler, context, row)
        if model.isEndOfGeneration(token) { return finish(slot, reason: .endOfGeneration) }
        reply.generated += 1
        let (text, stopped) = reply.assembler.append(model.piece(token))
        if !text.isEmpty {
            if reply.firstText == nil { reply.firstText = ContinuousClock.now }
            reply.continuation.yield(.text(text))
        }
        sequences[slot].reply = reply
        if stopped { return finish(slot, reason: .stopSequence) }
        if reply.generated >= reply.options.maxTokens { return finish(slot, reason: .tokenLimit) }
        if sequences[slot].cached.count + 1 >= contextLength { return finish(slot, reason: .contextFull) }
        sequences[slot].reply?.pendingToken = token
    }

    private func finishCancelledReplies() {
        for i in sequences.indices where sequences[i].reply?.ticket.isCancelled == true {
            finish(i, reason: .cancelled)
        }
    }

    /// Ends the reply on `slot` with its statistics; the sequence keeps its cache for the next.
    private func finish(_ slot: Int, reason: GenerationStats.FinishReason) {
        guard var reply = sequences[slot].reply else { return }
        sequences[slot].reply = nil
        sequences[slot].lastUsed = .now
        if let sampler = reply.sampler { llama_sampler_free(sampler) }
        if reason != .stopSequence {
            let rest = reply.assembler.flush()
            if !rest.isEmpty {
                if reply.firstText == nil { reply.firstText = ContinuousClock.now }
                reply.continuation.yield(.text(rest))
            }
        }
        let finished = ContinuousClock.now
        let promptDone = reply.promptDone ?? finished
        reply.continuation.yield(.finished(GenerationStats(
            finishReason: reason,
            promptTokens: reply.prompt.count,
            cachedPromptTokens: reply.cachedPromptTokens,
            generatedTokens: reply.generated,
            promptMilliseconds: (promptDone - reply.admitted).milliseconds,
            timeToFirstTokenMilliseconds: ((reply.firstText ?? finished) - reply.admitted).milliseconds,
            generationMilliseconds: (finished - promptDone).milliseconds)))
        reply.continuation.finish()
    }

    /// A failed decode may leave part of the batch in the cache: every reply in flight fails and
    /// every cache starts clean.
    private func failAll(_ error: InferenceError) {
        llama_memory_clear(llama_get_memory(context), true)
        for i in sequences.indices {
            sequences[i].cached.removeAll()
            guard let reply = sequences[i].reply else { continue }
            sequences[i].reply = nil
            if let sampler = reply.sampler { llama_sampler_free(sampler) }
            reply.continuation.finish(throwing: error)
        }
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
