import CLlama
import Foundation

/// Loaded model weights and vocabulary: one `llama_model`, freed when the handle goes away.
///
/// A `llama_model` is read-only once loaded and llama.cpp allows several contexts over one
/// model, so the handle may be shared; contexts (which are not thread-safe) live in actors.
final class LlamaModelHandle: @unchecked Sendable {
    // @unchecked: `pointer` is immutable after init and llama.cpp only reads the model.
    let pointer: OpaquePointer
    let vocab: OpaquePointer
    let path: String

    /// Loads a GGUF file on the CPU.
    /// - Throws: `InferenceError` `.modelFileMissing` or `.modelLoadFailed`.
    init(path: String, role: String) throws(InferenceError) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .modelFileMissing(path, role: role)
        }
        LlamaBackend.initialize()
        var params = llama_model_default_params()
        params.n_gpu_layers = 0
        params.use_extra_bufts = LlamaBackend.useExtraBufferTypes
        guard let model = llama_model_load_from_file(path, params) else {
            throw InferenceError(
                .modelLoadFailed,
                "llama.cpp could not load the \(role) model \(path): the file is not a GGUF model this llama.cpp "
                    + "version supports, or it is damaged. Re-run `make setup`, or check the file's SHA-256.")
        }
        guard let vocab = llama_model_get_vocab(model) else {
            llama_model_free(model)
            throw InferenceError(.modelLoadFailed, "The \(role) model \(path) has no vocabulary.")
        }
        self.pointer = model
        self.vocab = vocab
        self.path = path
    }

    deinit { llama_model_free(pointer) }

    var trainedContextLength: Int { Int(llama_model_n_ctx_train(pointer)) }
    var embeddingLength: Int { Int(llama_model_n_embd(pointer)) }
    var hasEncoder: Bool { llama_model_has_encoder(pointer) }
    /// The GGUF's `general.architecture` ("bert", "nomic-bert", "qwen2", …).
    var architecture: String {
        var buffer = [CChar](repeating: 0, count: 64)
        guard llama_model_meta_val_str(pointer, "general.architecture", &buffer, buffer.count) >= 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A human-readable description such as "bert 22M F16".
    var descriptionText: String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = llama_model_desc(pointer, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
    }

    /// The text's tokens.
    /// - Parameters:
    ///   - addSpecial: add the model's BOS/CLS and EOS/SEP tokens if it is configured to.
    ///   - parseSpecial: treat special-token text such as `<|im_start|>` as the token itself.
    ///     Never set it for untrusted text (documents, questions): they could forge turns.
    func tokenize(_ text: String, addSpecial: Bool, parseSpecial: Bool) throws(InferenceError) -> [llama_token] {
        let utf8 = Array(text.utf8)
        var capacity = utf8.count + 8
        for _ in 0..<2 {
            var tokens = [llama_token](repeating: 0, count: capacity)
            let n = utf8.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    llama_tokenize(
                        vocab, chars.baseAddress, Int32(chars.count), &tokens, Int32(capacity), addSpecial, parseSpecial)
                }
            }
            if n >= 0 { return Array(tokens.prefix(Int(n))) }
            capacity = Int(-n)
        }
        throw InferenceError(.tokenizationFailed, "llama_tokenize failed for a text of \(utf8.count) bytes.")
    }

    /// The bytes a token stands for (may be part of a multi-byte UTF-8 character).
    func piece(_ token: llama_token) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 64)
        var n = llama_token_to_piece(vocab, token, &buffer, Int32(buffer.count), 0, false)
        if n < 0 {
            buffer = [CChar](repeating: 0, count: Int(-n))
            n = llama_token_to_piece(vocab, token, &buffer, Int32(buffer.count), 0, false)
        }
        return buffer.prefix(Int(max(n, 0))).map(UInt8.init(bitPattern:))
    }

    func isEndOfGeneration(_ token: llama_token) -> Bool { llama_vocab_is_eog(vocab, token) }

    /// The chat template stored in the GGUF (`tokenizer.chat_template`), if any.
    var chatTemplate: String? {
        guard let template = llama_model_chat_template(pointer, nil) else { return nil }
        return String(cString: template)
    }

    /// SHA-256-free identity for logs and audit: file name and size.
    var fileName: String { (path as NSString).lastPathComponent }
}

/// One `llama_context`, freed before the model it was made from (it holds the model).
///
/// A context is not thread-safe: only the actor that owns the handle touches the pointer.
final class LlamaContextHandle: @unchecked Sendable {
    // @unchecked: reached only from the owning actor's executor; freed once, in deinit.
    let pointer: OpaquePointer
    let model: LlamaModelHandle

    init(_ pointer: OpaquePointer, model: LlamaModelHandle) {
        self.pointer = pointer
        self.model = model
    }

    deinit { llama_free(pointer) }
}
