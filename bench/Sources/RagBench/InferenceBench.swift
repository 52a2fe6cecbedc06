import CLlama
import Foundation
import RagCore
import RagInference

/// Embedding and chat throughput through ragd's RagInference layer and through llama.cpp's C
/// API directly, on the same model files, inputs and thread count.
struct InferenceBench {
    let embeddingPath: String
    let chatPath: String
    let threads: Int
    let repeats: Int

    /// Real English prose (the GPL, present on every Debian system) cut into pieces of a given size.
    func passages(tokens: Int, count: Int, model: LlamaEmbeddingModel) async throws -> [String] {
        let text = (try? String(contentsOfFile: "/usr/share/common-licenses/GPL-3", encoding: .utf8)) ?? ""
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        var out: [String] = []
        var i = 0
        while out.count < count {
            var piece: [String] = []
            // Grow by words until the next would pass the token target (special tokens included).
            while true {
                let word = words[i % words.count]
                let candidate = (piece + [word]).joined(separator: " ")
                if try await model.tokenCount(candidate) > tokens { break }
                piece.append(word)
                i += 1
            }
            out.append(piece.joined(separator: " "))
        }
        return out
    }

    func run() async throws -> [Row] {
        var rows: [Row] = []
        let model = try LlamaEmbeddingModel(configuration: .init(modelPath: embeddingPath, threads: threads))
        let long = try await passages(tokens: 256, count: 48, model: model)
        let short = try await passages(tokens: 32, count: 256, model: model)
        let longTokens = long.count * 256
        let shortTokens = try await short.asyncMap { try await model.tokenCount($0) }.reduce(0, +)

        // Raw engine: one sequence per llama_encode for 256-token chunks (its fastest way, measured
        // below through ragd's budgets too), and packs up to 512 tokens for short texts.
        // ragd and raw alternate within each repeat, so drifts in machine speed hit both alike.
        let raw = try RawEmbedder(path: embeddingPath, threads: threads, budget: 512)
        var rawLong = Double.infinity, rawShort = Double.infinity, rawShortUnpacked = Double.infinity
        var ragdLong = Double.infinity, ragdShort = Double.infinity
        for _ in 0..<max(1, repeats) {
            rawLong = min(rawLong, try await best(1) { try raw.embed(long, budget: 256) })
            ragdLong = min(ragdLong, try await best(1) { _ = try await model.embed(long) })
            rawShort = min(rawShort, try await best(1) { try raw.embed(short, budget: 512) })
            ragdShort = min(ragdShort, try await best(1) { _ = try await model.embed(short) })
            rawShortUnpacked = min(rawShortUnpacked, try await best(1) { try raw.embed(short, budget: 1) })
        }

        var budgets: [(Int, Double, Double)] = []
        for budget in [256, 512, 1024, 2048] {
            let m = try LlamaEmbeddingModel(configuration: .init(modelPath: embeddingPath, threads: threads, batchTokenBudget: budget))
            let l = try await best(repeats) { _ = try await m.embed(long) }
            let s = try await best(repeats) { _ = try await m.embed(short) }
            budgets.append((budget, l, s))
        }

        rows.append(Row(name: "embed 256-token chunks: tokens/s", unit: "tok/s",
                        ragd: Double(longTokens) / ragdLong, raw: Double(longTokens) / rawLong))
        rows.append(Row(name: "embed 256-token chunks: chunks/s", unit: "chunks/s",
                        ragd: Double(long.count) / ragdLong, raw: Double(long.count) / rawLong))
        rows.append(Row(name: "embed ~32-token texts: tokens/s", unit: "tok/s",
                        ragd: Double(shortTokens) / ragdShort, raw: Double(shortTokens) / rawShort))
        rows.append(Row(name: "  raw, one text per call (no packing)", unit: "tok/s",
                        ragd: Double(shortTokens) / rawShortUnpacked, raw: nil))
        for (budget, l, s) in budgets {
            rows.append(Row(name: "  ragd budget \(budget): 256-tok chunks", unit: "tok/s", ragd: Double(longTokens) / l, raw: nil))
            rows.append(Row(name: "  ragd budget \(budget): ~32-tok texts", unit: "tok/s", ragd: Double(shortTokens) / s, raw: nil))
        }

        // Chat: prompt processing and decoding.
        let chat = try LlamaChatModel(configuration: .init(modelPath: chatPath, contextLength: 2048, threads: threads))
        let rawChat = try RawChat(path: chatPath, threads: threads, contextLength: 2048)
        let filler = (try await passages(tokens: 200, count: 3, model: model)).joined(separator: "\n\n")
        var ragdPrompt = 0.0, rawPrompt = 0.0, ragdDecode = 0.0, rawDecode = 0.0
        var promptTokens = 0, decodeTokens = 0
        for i in 0..<max(3, repeats * 2) {
            // A different first line each time, so neither side can reuse a cached prefix.
            let messages: [ChatMessage] = [.system("Run \(i). Summarise the text."), .user(filler)]
            let options = GenerationOptions(maxTokens: 128, repeatPenalty: 1.0)
            let reply = try await chat.complete(messages, options: options)
            let prompt = try await chat.formattedPrompt(messages)
            let r = try rawChat.run(prompt: prompt, maxTokens: 128)
            promptTokens = reply.stats.promptTokens
            decodeTokens = reply.stats.generatedTokens
            ragdPrompt = max(ragdPrompt, reply.stats.promptTokensPerSecond)
            ragdDecode = max(ragdDecode, reply.stats.generationTokensPerSecond)
            rawPrompt = max(rawPrompt, r.promptTokensPerSecond)
            rawDecode = max(rawDecode, r.decodeTokensPerSecond)
        }
        rows.append(Row(name: "chat prompt processing (\(promptTokens) tok)", unit: "tok/s", ragd: ragdPrompt, raw: rawPrompt))
        rows.append(Row(name: "chat decode (\(decodeTokens) tok, greedy)", unit: "tok/s", ragd: ragdDecode, raw: rawDecode))
        return rows
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        out.reserveCapacity(count)
        for element in self { out.append(try await transform(element)) }
        return out
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
}

/// llama.cpp's C API used directly for embeddings, as its own embedding example does.
final class RawEmbedder {
    let model: OpaquePointer
    let context: OpaquePointer
    let vocab: OpaquePointer
    let dims: Int

    init(path: String, threads: Int, budget: Int) throws {
        var mp = llama_model_default_params()
        mp.n_gpu_layers = 0
        mp.use_extra_bufts = LlamaBackend.useExtraBufferTypes
        guard let model = llama_model_load_from_file(path, mp) else { throw BenchError(description: "load \(path)") }
        var cp = llama_context_default_params()
        cp.n_ctx = UInt32(max(budget, 256)); cp.n_batch = cp.n_ctx; cp.n_ubatch = cp.n_ctx
        cp.n_seq_max = 64; cp.n_threads = Int32(threads); cp.n_threads_batch = Int32(threads)
        cp.embeddings = true; cp.no_perf = true
        guard let context = llama_init_from_model(model, cp) else { throw BenchError(description: "context") }
        self.model = model
        self.context = context
        self.vocab = llama_model_get_vocab(model)
        self.dims = Int(llama_model_n_embd(model))
    }

    deinit { llama_free(context); llama_model_free(model) }

    /// Tokenizes and encodes `texts`, packing consecutive ones up to `budget` tokens per call.
    func embed(_ texts: [String], budget: Int) throws {
        let sequences: [[llama_token]] = texts.map { text in
            var tokens = [llama_token](repeating: 0, count: text.utf8.count + 8)
            let n = llama_tokenize(vocab, text, Int32(text.utf8.count), &tokens, Int32(tokens.count), true, false)
            return Array(tokens.prefix(Int(min(n, 256))))
        }
        var batch = llama_batch_init(512, 0, 64)
        defer { llama_batch_free(batch) }
        var out = [Float](repeating: 0, count: dims)
        var start = 0
        while start < sequences.count {
            var end = start, tokens = 0
            while end < sequences.count, end - start < 64, end == start || tokens + sequences[end].count <= budget {
                tokens += sequences[end].count; end += 1
            }
            batch.n_tokens = 0
            for (seq, index) in (start..<end).enumerated() {
                for (pos, token) in sequences[index].enumerated() {
                    let i = Int(batch.n_tokens)
                    batch.token[i] = token; batch.pos[i] = llama_pos(pos); batch.n_seq_id[i] = 1
                    batch.seq_id[i]![0] = llama_seq_id(seq); batch.logits[i] = 1; batch.n_tokens += 1
                }
            }
            guard llama_encode(context, batch) == 0 else { throw BenchError(description: "encode") }
            for seq in 0..<(end - start) {
                let p = llama_get_embeddings_seq(context, llama_seq_id(seq))!
                var sum: Float = 0
                for d in 0..<dims { out[d] = p[d]; sum += p[d] * p[d] }
                let scale = 1 / sum.squareRoot()
                for d in 0..<dims { out[d] *= scale }
            }
            start = end
        }
    }
}

/// llama.cpp's C API used directly for a chat reply: prompt in one pass, then greedy decoding.
final class RawChat {
    let model: OpaquePointer
    let context: OpaquePointer
    let vocab: OpaquePointer

    init(path: String, threads: Int, contextLength: Int) throws {
        var mp = llama_model_default_params()
        mp.n_gpu_layers = 0
        mp.use_extra_bufts = LlamaBackend.useExtraBufferTypes
        guard let model = llama_model_load_from_file(path, mp) else { throw BenchError(description: "load \(path)") }
        var cp = llama_context_default_params()
        cp.n_ctx = UInt32(contextLength); cp.n_batch = 512; cp.n_ubatch = 512
        cp.n_threads = Int32(threads); cp.n_threads_batch = Int32(threads); cp.no_perf = true
        guard let context = llama_init_from_model(model, cp) else { throw BenchError(description: "context") }
        self.model = model
        self.context = context
        self.vocab = llama_model_get_vocab(model)
    }

    deinit { llama_free(context); llama_model_free(model) }

    struct Timing {
        var promptTokens: Int
        var promptSeconds: Double
        var promptTokensPerSecond: Double
        var decodeTokensPerSecond: Double
    }

    func run(prompt: String, maxTokens: Int) throws -> Timing {
        llama_memory_clear(llama_get_memory(context), true)
        var tokens = [llama_token](repeating: 0, count: prompt.utf8.count + 8)
        let n = Int(llama_tokenize(vocab, prompt, Int32(prompt.utf8.count), &tokens, Int32(tokens.count), true, true))
        tokens = Array(tokens.prefix(n))
        let t0 = ContinuousClock.now
        var index = 0
        while index < tokens.count {
            let end = min(index + 512, tokens.count)
            var slice = Array(tokens[index..<end])
            let status = slice.withUnsafeMutableBufferPointer { llama_decode(context, llama_batch_get_one($0.baseAddress, Int32($0.count))) }
            guard status == 0 else { throw BenchError(description: "decode prompt") }
            index = end
        }
        let t1 = ContinuousClock.now
        let sampler = llama_sampler_chain_init(llama_sampler_chain_default_params())!
        llama_sampler_chain_add(sampler, llama_sampler_init_greedy())
        defer { llama_sampler_free(sampler) }
        var generated = 0
        var piece = [CChar](repeating: 0, count: 64)
        while generated < maxTokens {
            var token = llama_sampler_sample(sampler, context, -1)
            if llama_vocab_is_eog(vocab, token) { break }
            _ = llama_token_to_piece(vocab, token, &piece, 64, 0, false)
            generated += 1
            guard llama_decode(context, llama_batch_get_one(&token, 1)) == 0 else { throw BenchError(description: "decode") }
        }
        let t2 = ContinuousClock.now
        return Timing(promptTokens: n, promptSeconds: (t1 - t0).seconds, promptTokensPerSecond: Double(n) / (t1 - t0).seconds,
                      decodeTokensPerSecond: Double(generated) / (t2 - t1).seconds)
    }
}
