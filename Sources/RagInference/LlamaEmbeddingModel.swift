import CLlama
import Foundation
import RagCore

/// Settings for `LlamaEmbeddingModel`.
public struct LlamaEmbeddingConfiguration: Sendable {
    /// The GGUF file (for the default model: `$RAGD_CACHE/models/all-MiniLM-L6-v2.f16.gguf`).
    public var modelPath: String
    /// CPU threads for one decode.
    public var threads: Int
    /// Token budget of one `llama_encode` call: short texts are packed together up to it.
    ///
    /// BERT-style attention in llama.cpp runs over the whole batch with a mask, so its cost
    /// grows with the square of the batch's tokens: packing many long texts is slower than
    /// encoding them one by one, while packing short texts saves per-call overhead. The
    /// default was chosen by `make bench` (see bench/RESULTS.md); a text longer than the
    /// budget is still encoded, alone.
    public var batchTokenBudget: Int
    /// Most texts packed into one call.
    public var maxSequencesPerBatch: Int
    /// The most tokens of one text the model reads (the chunker sizes chunks to it); nil: the
    /// model's trained context, at most 512. A long-context model (nomic-embed-text: 2,048)
    /// would otherwise let the chunker make chunks whose attention costs the square of their length.
    public var maxTokens: Int?
    /// Task prefixes; nil: those the model's architecture calls for (`EmbeddingPrefixes.forArchitecture`).
    public var prefixes: EmbeddingPrefixes?

    public init(modelPath: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                batchTokenBudget: Int = 256, maxSequencesPerBatch: Int = 64, maxTokens: Int? = nil,
                prefixes: EmbeddingPrefixes? = nil) {
        self.maxTokens = maxTokens
        self.prefixes = prefixes
        self.modelPath = modelPath
        self.threads = threads
        self.batchTokenBudget = batchTokenBudget
        self.maxSequencesPerBatch = maxSequencesPerBatch
    }
}

/// An embedding model run in-process by llama.cpp (BERT-style encoders such as all-MiniLM-L6-v2).
///
/// Pooling is the model's own (mean pooling for MiniLM, from the GGUF); vectors are
/// L2-normalised. A model trained with task prefixes (nomic-embed-text) gets them before each
/// text, and `maxTokens` leaves room for them. The llama context lives on this actor's
/// dedicated thread.
public actor LlamaEmbeddingModel: EmbeddingModel {
    public nonisolated let dimensions: Int
    public nonisolated let maxTokens: Int
    public nonisolated let identifier: String
    public nonisolated let tokenCounter: any TokenCounter
    public nonisolated let prefixes: EmbeddingPrefixes

    private let executor: DedicatedThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let model: LlamaModelHandle
    private let contextHandle: LlamaContextHandle
    private var context: OpaquePointer { contextHandle.pointer }
    private let batchTokenBudget: Int
    private let maxSequences: Int
    private let separatorToken: llama_token?
    /// Tokens of one text read, its prefix included (`maxTokens` plus the longest prefix).
    private let readLimit: Int

    /// Loads the model and creates its context.
    /// - Throws: `InferenceError` when the file is missing or not a usable embedding model.
    public init(configuration: LlamaEmbeddingConfiguration) throws(InferenceError) {
        let model = try LlamaModelHandle(path: configuration.modelPath, role: "embedding")
        let readLimit = min(model.trainedContextLength, configuration.maxTokens ?? 512)
        let prefixes = configuration.prefixes ?? .forArchitecture(model.architecture)
        let prefixTokens = try max(model.tokenize(prefixes.query, addSpecial: false, parseSpecial: false).count,
                                   model.tokenize(prefixes.document, addSpecial: false, parseSpecial: false).count)
        guard readLimit - prefixTokens >= 16 else {
            throw InferenceError(
                .invalidConfiguration,
                "An embedding limit of \(readLimit) tokens leaves no room for a chunk after the "
                    + "\(prefixTokens)-token task prefix of \(configuration.modelPath): raise models.embedding_max_tokens.")
        }
        // Whole multiples of 256 tokens: llama.cpp pads the context to them, and a batch of
        // another size fails an assertion inside ggml (seen with nomic-bert at 260).
        let budget = (max(configuration.batchTokenBudget, readLimit) + 255) / 256 * 256
        var params = llama_context_default_params()
        params.n_ctx = UInt32(budget)
        params.n_batch = UInt32(budget)
        params.n_ubatch = UInt32(budget)  // non-causal models must see a whole batch at once
        params.n_seq_max = UInt32(max(1, configuration.maxSequencesPerBatch))
        params.n_threads = Int32(configuration.threads)
        params.n_threads_batch = Int32(configuration.threads)
        params.embeddings = true
        params.no_perf = true
        guard let context = llama_init_from_model(model.pointer, params) else {
            throw InferenceError(
                .contextCreationFailed,
                "llama.cpp could not create an embedding context for \(configuration.modelPath) "
                    + "(batch \(budget) tokens, \(configuration.maxSequencesPerBatch) sequences): lower the batch settings.")
        }
        guard llama_pooling_type(context) != LLAMA_POOLING_TYPE_NONE else {
            llama_free(context)
            throw InferenceError(
                .invalidConfiguration,
                "\(configuration.modelPath) has no pooling type: it is not a sentence-embedding model. "
                    + "Convert it with scripts/convert_minilm.py, which records the pooling from modules.json.")
        }
        self.model = model
        self.contextHandle = LlamaContextHandle(context, model: model)
        self.dimensions = model.embeddingLength
        self.maxTokens = readLimit - prefixTokens
        self.readLimit = readLimit
        self.prefixes = prefixes
        self.batchTokenBudget = budget
        self.maxSequences = Int(llama_n_seq_max(context))
        let sep = llama_vocab_sep(model.vocab)
        self.separatorToken = sep >= 0 ? sep : nil
        self.identifier = model.fileName
        self.tokenCounter = LlamaTokenCounter(model: model)
        self.executor = DedicatedThreadExecutor(name: "ragd.embed")
    }

    deinit {
        executor.shutdown()
    }

    public func tokenCount(_ text: String) throws -> Int {
        try model.tokenize(text, addSpecial: true, parseSpecial: false).count
    }

    /// The token ids the model embeds for `text` as `purpose` (its prefix included, after
    /// truncation): what `embed(_:as:)` encodes, for tests and debugging.
    public func tokens(_ text: String, as purpose: EmbeddingPurpose = .document) throws -> [Int32] {
        try sequence(text, as: purpose).tokens
    }

    /// `text` with its prefix for `purpose`, tokenized and cut to the read limit.
    private func sequence(_ text: String, as purpose: EmbeddingPurpose) throws -> (tokens: [llama_token], truncated: Bool) {
        truncated(try model.tokenize(prefixes.apply(text, for: purpose), addSpecial: true, parseSpecial: false))
    }

    /// Embeds `texts`, packed into `llama_encode` calls by the token budget. Between calls the
    /// thread is given up, so a question's embedding queued meanwhile (at a higher priority:
    /// see `DedicatedThreadExecutor`) runs next instead of waiting for all of `texts`.
    public func embed(_ texts: [String], as purpose: EmbeddingPurpose) async throws -> EmbeddingBatch {
        var sequences: [[llama_token]] = []
        sequences.reserveCapacity(texts.count)
        var truncatedCount = 0
        for text in texts {
            let (tokens, wasTruncated) = try sequence(text, as: purpose)
            sequences.append(tokens)
            if wasTruncated { truncatedCount += 1 }
        }

        var vectors = [[Float]](repeating: [], count: texts.count)
        var batch = llama_batch_init(Int32(batchTokenBudget), 0, Int32(maxSequences))
        defer { llama_batch_free(batch) }

        var start = 0
        while start < sequences.count {
            try Task.checkCancellation()
            // Pack consecutive texts while they fit the token budget.
            var end = start
            var tokens = 0
            while end < sequences.count, end - start < maxSequences,
                  end == start || tokens + sequences[end].count <= batchTokenBudget {
                tokens += sequences[end].count
                end += 1
            }
            batch.n_tokens = 0
            for (seq, index) in (start..<end).enumerated() {
                for (pos, token) in sequences[index].enumerated() {
                    let i = Int(batch.n_tokens)
                    batch.token[i] = token
                    batch.pos[i] = llama_pos(pos)
                    batch.n_seq_id[i] = 1
                    batch.seq_id[i]![0] = llama_seq_id(seq)
                    batch.logits[i] = 1
                    batch.n_tokens += 1
                }
            }
            try encode(batch)
            for (seq, index) in (start..<end).enumerated() {
                guard let pooled = llama_get_embeddings_seq(context, llama_seq_id(seq)) else {
                    throw InferenceError(.decodeFailed, "llama.cpp returned no pooled embedding for sequence \(seq).")
                }
                vectors[index] = l2Normalized(Array(UnsafeBufferPointer(start: pooled, count: dimensions)))
            }
            start = end
            if start < sequences.count { await Task.yield() }
        }
        return EmbeddingBatch(vectors: vectors, tokenCounts: sequences.map(\.count), truncatedCount: truncatedCount)
    }

    /// Cuts a token sequence (prefix included) to the read limit, keeping the closing [SEP] as
    /// the reference tokenizer (Hugging Face, `truncation=True`) does.
    private func truncated(_ tokens: [llama_token]) -> (tokens: [llama_token], truncated: Bool) {
        guard tokens.count > readLimit else { return (tokens, false) }
        var cut = Array(tokens.prefix(readLimit))
        if let sep = separatorToken, tokens.last == sep { cut[readLimit - 1] = sep }
        return (cut, true)
    }

    private func encode(_ batch: llama_batch) throws(InferenceError) {
        let status: Int32
        if let memory = llama_get_memory(context) {
            llama_memory_clear(memory, true)
            status = llama_decode(context, batch)
        } else {
            status = llama_encode(context, batch)
        }
        guard status == 0 else {
            throw InferenceError(
                .decodeFailed,
                "llama.cpp failed to embed a batch of \(batch.n_tokens) tokens (status \(status)): "
                    + "lower embedding.batch_tokens in the configuration.")
        }
    }
}
