import Foundation
import Hummingbird
import HummingbirdTesting
import RagAssistant
import RagInference
import RagServer
import RagTesting
import Testing

/// ragd opens no connection but to the model endpoints an admin configured, and refuses to
/// start with an endpoint outside the network.
@Suite(.serialized) struct NoEgressTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theDaemonRefusesToStartWithAPublicModelEndpoint() throws {
        let binary = Self.repository.appendingPathComponent(".build/debug/ragd").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build first: swift build --build-tests")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ragd-egress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("ragd.yaml")
        try """
            database: \(folder.path)/ragd.sqlite
            large_model:
              url: http://8.8.8.8/v1
              model: some-model
            """.write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--config", config.path, "--port", "0"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(message.contains("8.8.8.8") && message.contains("outside loopback and private ranges"), "\(message)")
    }

    @Test func answeringOpensOnlyLoopbackConnections() async throws {
        let parts = try await ServerFixture.shared.get()
        let endpoint = OpenAICompatibleTestServer(chat: try TestModels.chat.get())
        try await endpoint.run { baseURL in
            // The larger model at a configured endpoint on loopback; every question escalates.
            let large = RemoteChatModel(endpoint: RemoteEndpoint(baseURL: baseURL, model: "large"), contextLength: 2048)
            var policy = RoutingPolicy()
            policy.escalateBelow = 1.0
            let assistant = Assistant(retriever: parts.server.askService.assistant.retriever,
                                      smallModel: try TestModels.chat.get(), largeModel: large, policy: policy)
            let server = RagServer(store: parts.store, assistant: assistant, configuration: ServerFixture.configuration)
            // The router test client (no inbound socket, no client timeout): the outbound
            // connection to the configured endpoint is the one under test.
            let app = Application(router: server.buildRouter())
            try await app.test(.router) { client in
                let response = try await client.execute(
                    uri: "/api/v1/ask", method: .post,
                    headers: [.authorization: "Bearer \(parts.tokens["alice"]!)", .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"question":"How many columns can a table have?"}"#))
                #expect(response.status == .ok)
                #expect(await endpoint.requests.count >= 1, "the configured endpoint was used")
                let remote = try Self.remoteAddressesOfThisProcess()
                #expect(!remote.isEmpty)
                #expect(remote.allSatisfy(EndpointPolicy.isInternal), "connections: \(remote)")
                #expect(remote.allSatisfy { $0 == "127.0.0.1" || $0 == "::1" || $0 == "::ffff:127.0.0.1" }, "\(remote)")
            }
        }
    }

    /// Remote addresses of this process's own TCP sockets: its socket inodes from /proc/self/fd,
    /// matched against /proc/self/net/tcp and tcp6.
    static func remoteAddressesOfThisProcess() throws -> [String] {
        var inodes = Set<String>()
        for fd in try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
               target.hasPrefix("socket:[") {
                inodes.insert(String(target.dropFirst(8).dropLast()))
            }
        }
        var addresses: [String] = []
        for (file, v6) in [("/proc/self/net/tcp", false), ("/proc/self/net/tcp6", true)] {
            // Read to the end: /proc files report size 0, and a single read returns one page,
            // while the table lists every socket of the network namespace (a busy suite's many).
            guard let handle = FileHandle(forReadingAtPath: file),
                  let data = try? handle.readToEnd() else { continue }
            let table = String(decoding: data, as: UTF8.self)
            for line in table.split(separator: "\n").dropFirst() {
                let columns = line.split(separator: " ")
                guard columns.count > 9, inodes.contains(String(columns[9])) else { continue }
                let remote = columns[2].split(separator: ":")[0]
                if String(remote).allSatisfy({ $0 == "0" }) { continue }  // listening socket
                addresses.append(v6 ? ipv6(String(remote)) : ipv4(String(remote)))
            }
        }
        return addresses
    }

    static func ipv4(_ hex: String) -> String {
        let value = UInt32(hex, radix: 16)!
        return (0..<4).map { String((value >> (8 * $0)) & 0xFF) }.joined(separator: ".")
    }

    static func ipv6(_ hex: String) -> String {
        // Four little-endian 32-bit words.
        var bytes: [UInt8] = []
        for word in 0..<4 {
            let chunk = hex.dropFirst(word * 8).prefix(8)
            let value = UInt32(chunk, radix: 16)!
            bytes += (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) }
        }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return "::ffff:" + bytes[12...].map(String.init).joined(separator: ".")
        }
        if bytes.dropLast().allSatisfy({ $0 == 0 }) && bytes.last == 1 { return "::1" }
        return stride(from: 0, to: 16, by: 2).map { String(format: "%x", UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1])) }
            .joined(separator: ":")
    }
}
