import CLlama
import Synchronization

/// One sequence of `LlamaChatModel`'s KV cache: the tokens it holds, and the reply it is
/// generating (nil while idle: the cache is kept for a later prompt with the same beginning).
struct ChatSequence {
    let id: llama_seq_id
    /// The tokens whose state is in the cache for this sequence, at positions 0, 1, ….
    var cached: [llama_token] = []
    var reply: ChatReply?
    /// When its last reply ended: idle caches are dropped oldest first.
    var lastUsed = ContinuousClock.now

    init(id: llama_seq_id) { self.id = id }

    /// How many tokens at the beginning of `prompt` this sequence holds already.
    func commonPrefix(with prompt: [llama_token]) -> Int {
        var n = 0
        let limit = min(cached.count, prompt.count)
        while n < limit, cached[n] == prompt[n] { n += 1 }
        return n
    }

    /// Whether part of the reply's prompt is still to be evaluated (the cache holds the prompt,
    /// then the reply's tokens).
    var isReadingPrompt: Bool {
        guard let reply else { return false }
        return cached.count < reply.prompt.count
    }
}

/// A reply being generated: its prompt, sampler, text so far, and where its events go.
struct ChatReply {
    let prompt: [llama_token]
    let options: GenerationOptions
    let ticket: ChatTicket
    let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    /// KV cells this reply may come to use: its prompt and its most generated tokens.
    let reservedCells: Int

    var admitted = ContinuousClock.now
    var cachedPromptTokens = 0
    var sampler: UnsafeMutablePointer<llama_sampler>?
    var assembler: TextAssembler
    /// The last sampled token, to be evaluated in the next batch.
    var pendingToken: llama_token?
    var generated = 0
    var promptDone: ContinuousClock.Instant?
    var firstText: ContinuousClock.Instant?

    init(prompt: [llama_token], options: GenerationOptions, ticket: ChatTicket,
         continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation, reservedCells: Int) {
        self.prompt = prompt
        self.options = options
        self.ticket = ticket
        self.continuation = continuation
        self.reservedCells = reservedCells
        self.assembler = TextAssembler(stop: options.stop)
    }
}

/// Set when the consumer of a reply's stream goes away; the decode loop ends the reply before
/// its next token.
final class ChatTicket: Sendable {
    private let cancelled = Atomic(false)
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    func cancel() { cancelled.store(true, ordering: .relaxed) }
}

/// A `llama_batch` allocated once and refilled for every decode.
final class LlamaBatch {
    private(set) var raw: llama_batch
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        raw = llama_batch_init(Int32(capacity), 0, 1)
    }

    deinit { llama_batch_free(raw) }

    var count: Int { Int(raw.n_tokens) }

    func clear() { raw.n_tokens = 0 }

    /// Appends one token of `sequence` at `position`; returns its row (the index its logits are
    /// read from when `logits` is set).
    @discardableResult
    func add(_ token: llama_token, position: Int, sequence: llama_seq_id, logits: Bool) -> Int32 {
        let row = Int(raw.n_tokens)
        precondition(row < capacity, "llama_batch overflow")
        raw.token[row] = token
        raw.pos[row] = llama_pos(position)
        raw.n_seq_id[row] = 1
        raw.seq_id[row]![0] = sequence
        raw.logits[row] = logits ? 1 : 0
        raw.n_tokens += 1
        return Int32(row)
    }
}
