import Foundation
import RagInference

/// The larger tier as ragd runs it: one real llama-server (from `make setup`) with
/// Qwen2.5-Coder 1.5B Instruct, supervised by `LlamaServerProcess`, on a free loopback port.
///
/// Started lazily by the first test that asks, once per test process, and shared (loading it
/// takes seconds and 1.8 GB): `-c 4096`, two threads. It ends with the test process (the child
/// gets SIGKILL when its parent goes). Its log is in the temporary folder; `logPath` says where.
public actor LargeModelServer {
    public static let shared = LargeModelServer()

    /// The llama-server `make setup` builds (llama.cpp 0.3.36, as pinned in scripts/pins.sh).
    public static let serverPath = TestModels.cache + "/llama/0.3.36/bin/llama-server"
    public static let modelPath = TestModels.cache + "/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    public static let modelName = (modelPath as NSString).lastPathComponent
    public static let logPath = NSTemporaryDirectory() + "ragd-tests-llama-server-\(getpid()).log"

    private var process: LlamaServerProcess?

    /// The supervised process, started and ready.
    /// - Throws: when llama-server or the model is missing (run `make setup`), or it does not start.
    public func server() async throws -> LlamaServerProcess {
        if let process {
            try await process.waitUntilReady()
            return process
        }
        guard let port = LlamaServerProcess.freeLoopbackPort() else { throw FixtureError.noFreePort }
        let process = LlamaServerProcess(configuration: LlamaServerConfiguration(
            serverPath: Self.serverPath, modelPath: Self.modelPath, port: port, contextLength: 4096, threads: 2,
            logPath: Self.logPath))
        try await process.start()
        self.process = process
        try await process.waitUntilReady()
        return process
    }

    /// The OpenAI-compatible base URL (`http://127.0.0.1:PORT/v1`) of the ready server.
    public func baseURL() async throws -> String {
        try await server().configuration.baseURL
    }

    /// A `RemoteChatModel` for the server, as `AppContext` builds it for the larger tier.
    public func chatModel() async throws -> RemoteChatModel {
        RemoteChatModel(endpoint: RemoteEndpoint(baseURL: try await baseURL(), model: Self.modelName), contextLength: 4096)
    }

    enum FixtureError: Error { case noFreePort }
}
