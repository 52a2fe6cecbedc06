import Foundation
import RagInference
import RagTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The larger tier: a real llama-server with Qwen2.5-Coder 1.5B, launched and supervised by
/// `LlamaServerProcess` (RagTesting's `LargeModelServer`, one per test process), asked
/// through `RemoteChatModel` as the assistant asks it.
@Suite(.serialized) struct LlamaServerProcessTests {
    static func ask(_ model: RemoteChatModel) async throws -> (text: String, stats: GenerationStats?) {
        var text = ""
        var stats: GenerationStats?
        for try await event in model.stream(ChatModelTests.messages, options: GenerationOptions(maxTokens: 16)) {
            switch event {
            case .text(let t): text += t
            case .finished(let s): stats = s
            }
        }
        return (text, stats)
    }

    @Test func answersThroughTheRemoteChatModel() async throws {
        let model = try await LargeModelServer.shared.chatModel()
        let (text, stats) = try await Self.ask(model)
        #expect(text.contains("7"), "reply: \(text)")
        #expect((stats?.promptTokens ?? 0) > 40, "usage comes from llama-server's last chunk")
        #expect((stats?.generatedTokens ?? 0) > 0)
        let rss = try await LargeModelServer.shared.server().residentMemoryBytes ?? 0
        print("llama-server 1.5B: \(stats.map { String(format: "%.1f generated tok/s", $0.generationTokensPerSecond) } ?? "?"), "
              + "RSS \(rss >> 20) MiB")
    }

    /// DNS rebinding: the no-egress check resolves the host once, and the client must connect
    /// to the address that passed rather than resolve again. A name that resolves nowhere,
    /// pinned to the server's loopback address, still gets an answer: nothing re-resolved it.
    @Test func aPinnedEndpointConnectsToItsCheckedAddressWithoutResolvingAgain() async throws {
        let url = try #require(URL(string: try await LargeModelServer.shared.baseURL()))
        let port = try #require(url.port)
        let checked = try EndpointPolicy.pinned(
            RemoteEndpoint(baseURL: "http://localhost:\(port)/v1", model: LargeModelServer.modelName), allowPublic: false)
        #expect(checked.pinnedAddress == "127.0.0.1", "localhost is pinned to the address the policy checked, IPv4 first")
        var unresolvable = RemoteEndpoint(baseURL: "http://ragd-pinned.invalid:\(port)/v1", model: LargeModelServer.modelName)
        unresolvable.pinnedAddress = "127.0.0.1"
        // The shared llama-server has one slot and serves other suites too: a question queued
        // behind theirs for longer than the client's read timeout is asked once more.
        let model = RemoteChatModel(endpoint: unresolvable, contextLength: 4096)
        let text: String
        do {
            text = try await Self.ask(model).text
        } catch let error as InferenceError where "\(error)".contains("readTimeout") {
            text = try await Self.ask(model).text
        }
        #expect(text.contains("7"), "reply: \(text)")
    }

    @Test func aKilledServerIsRestartedAndAnswersAgain() async throws {
        let server = try await LargeModelServer.shared.server()
        let pid = try #require(await server.pid)
        let restarts = await server.restarts
        #expect(kill(pid, SIGKILL) == 0)
        // The supervisor notices the exit, waits its backoff (1 s) and starts a new child.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while await server.restarts == restarts, clock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(await server.restarts == restarts + 1)
        try await server.waitUntilReady()
        let newPid = try #require(await server.pid)
        #expect(newPid != pid)
        let (text, _) = try await Self.ask(try await LargeModelServer.shared.chatModel())
        #expect(!text.isEmpty)
    }

    @Test func aMissingModelFileIsAClearError() async throws {
        let missing = NSTemporaryDirectory() + "ragd-no-such-model-\(UUID().uuidString).gguf"
        let process = LlamaServerProcess(configuration: LlamaServerConfiguration(
            serverPath: LargeModelServer.serverPath, modelPath: missing, port: 9, logPath: LargeModelServer.logPath))
        await #expect {
            try await process.start()
        } throws: { error in
            let error = error as? InferenceError
            return error?.kind == .modelFileMissing && error?.description.contains(missing) == true
        }
        #expect(await process.pid == nil, "nothing was launched")
    }

    @Test func aFileLlamaServerCannotLoadFailsWithTheEndOfItsLog() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-llama-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("not-a-model.gguf").path
        try Data("this is not a GGUF file\n".utf8).write(to: URL(fileURLWithPath: model))
        let log = folder.appendingPathComponent("llama-server.log").path
        let process = LlamaServerProcess(configuration: LlamaServerConfiguration(
            serverPath: LargeModelServer.serverPath, modelPath: model,
            port: try #require(LlamaServerProcess.freeLoopbackPort()), threads: 1, logPath: log))
        try await process.start()
        await #expect {
            try await process.waitUntilReady()
        } throws: { error in
            let description = (error as? InferenceError)?.description ?? ""
            return description.contains("before it was ready") && description.contains(log)
        }
        #expect(await process.restarts == 0, "a start-up failure is not retried")
    }
}
