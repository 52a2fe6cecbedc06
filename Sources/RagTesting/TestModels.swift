import Foundation
import RagInference

/// The real models `make setup` installs, loaded once per test process and shared by tests.
///
/// Fixtures, not fakes: a missing file fails with the command that fetches it.
public enum TestModels {
    public static let cache = ProcessInfo.processInfo.environment["RAGD_CACHE"]
        ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/ragd")
    public static let embeddingPath = cache + "/models/all-MiniLM-L6-v2.f16.gguf"
    public static let chatPath = cache + "/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    /// The previous default, still a configured option (`models.chat`).
    public static let smolLM2Path = cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    /// nomic-embed-text-v1.5, the second embedding model (embedding-model migration).
    public static let nomicPath = cache + "/models/nomic-embed-text-v1.5.f16.gguf"
    public static let vectorExtension = cache + "/lib/vec0.so"
    public static let corpus = cache + "/corpus"
    public static let sqliteDocs = corpus + "/sqlite3-doc/usr/share/doc/sqlite3"
    public static let debianFAQ = corpus + "/debian-faq/usr/share/doc/debian/FAQ/debian-faq.en.pdf"

    /// The shared folder beside the repository (`../shared`), or `$RAGD_SHARED`.
    public static let sharedFolder: URL = {
        if let path = ProcessInfo.processInfo.environment["RAGD_SHARED"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared")
    }()

    public static let embedder: Result<LlamaEmbeddingModel, InferenceError> = {
        LlamaBackend.initialize(logLevel: .errors)
        return Result { () throws(InferenceError) in
            try LlamaEmbeddingModel(configuration: LlamaEmbeddingConfiguration(modelPath: embeddingPath, threads: 2))
        }
    }()

    public static let nomic: Result<LlamaEmbeddingModel, InferenceError> = {
        LlamaBackend.initialize(logLevel: .errors)
        return Result { () throws(InferenceError) in
            try LlamaEmbeddingModel(configuration: LlamaEmbeddingConfiguration(modelPath: nomicPath, threads: 2))
        }
    }()

    /// SmolLM2-135M: a chat model a few times cheaper than the default, for tests that ask many
    /// questions for their sources rather than their wording.
    public static let smallChat: Result<LlamaChatModel, InferenceError> = {
        LlamaBackend.initialize(logLevel: .errors)
        return Result { () throws(InferenceError) in
            try LlamaChatModel(configuration: LlamaChatConfiguration(modelPath: smolLM2Path, contextLength: 2048, threads: 2))
        }
    }()

    public static let chat: Result<LlamaChatModel, InferenceError> = {
        LlamaBackend.initialize(logLevel: .errors)
        return Result { () throws(InferenceError) in
            try LlamaChatModel(configuration: LlamaChatConfiguration(modelPath: chatPath, contextLength: 2048, threads: 2))
        }
    }()
}
