import AsyncHTTPClient
import Foundation
import NIOCore
import RagCore
import NIOHTTP1
import Synchronization

/// Where an OpenAI-compatible server (vLLM, llama-server, Ollama, ...) listens and how to call it.
///
/// ragd only ever connects to endpoints an administrator configured; nothing else leaves the machine.
public struct RemoteEndpoint: Sendable, Equatable {
    /// Base URL such as `http://10.0.0.5:8000` or `http://10.0.0.5:8000/v1`.
    public var baseURL: String
    /// The model name the server expects in requests.
    public var model: String
    /// Sent as `Authorization: Bearer ...` when set.
    public var apiKey: String?
    /// Longest time to wait for a whole response (or between streamed events).
    public var timeout: Duration
    /// The numeric address to connect to instead of resolving the URL's host (set by
    /// `EndpointPolicy.pinned` to the address it checked).
    public var pinnedAddress: String?

    public init(baseURL: String, model: String, apiKey: String? = nil, timeout: Duration = .seconds(120)) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
    }

    /// The URL of an API path such as "chat/completions", below `/v1`.
    func url(_ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        if !base.hasSuffix("/v1") { base += "/v1" }
        return base + "/" + path
    }
}

/// The HTTP half of the remote backends: JSON requests and server-sent events over AsyncHTTPClient.
struct OpenAICompatibleClient: Sendable {
    let endpoint: RemoteEndpoint
    let httpClient: HTTPClient

    /// - Parameter httpClient: nil for the process-wide shared client, or for a pinned
    ///   endpoint the process-wide client that connects to its pinned address.
    init(endpoint: RemoteEndpoint, httpClient: HTTPClient?) {
        self.endpoint = endpoint
        if let httpClient {
            self.httpClient = httpClient
        } else if let address = endpoint.pinnedAddress, let host = URL(string: endpoint.baseURL)?.host {
            self.httpClient = PinnedHTTPClients.client(connecting: host, to: address)
        } else {
            self.httpClient = .shared
        }
    }

    func request(_ path: String, body: some Encodable) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint.url(path))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = endpoint.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        return request
    }

    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: .nanoseconds(endpoint.timeout.nanoseconds))
        } catch {
            throw InferenceError(
                .remoteUnavailable,
                "The model server at \(endpoint.baseURL) did not answer (\(error)). Check that it runs and that "
                    + "the configured URL is right.")
        }
        guard response.status == .ok else {
            throw InferenceError(
                .remoteUnavailable,
                "The model server at \(endpoint.baseURL) answered \(response.status.code) "
                    + "\(response.status.reasonPhrase) for \(request.url): see its log; check the model name "
                    + "'\(endpoint.model)' and the API key.")
        }
        return response
    }

    /// Sends a JSON request and decodes the JSON reply.
    func post<Response: Decodable>(_ path: String, body: some Encodable, as type: Response.Type) async throws -> Response {
        let response = try await execute(try request(path, body: body))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        do {
            return try JSONDecoder().decode(Response.self, from: Data(bytes.readableBytesView))
        } catch {
            throw InferenceError(
                .remoteProtocol,
                "The model server at \(endpoint.baseURL) sent a reply to \(path) that is not the OpenAI format: \(error)")
        }
    }

    /// Sends a request and yields the `data:` payload of every server-sent event until `[DONE]`.
    func events(_ path: String, body: some Encodable) async throws -> AsyncThrowingStream<String, any Error> {
        let response = try await execute(try request(path, body: body))
        return AsyncThrowingStream { continuation in
            let task = Task {
                var parser = ServerSentEventParser()
                do {
                    for try await buffer in response.body {
                        for event in parser.feed(buffer.readableBytesView) {
                            if event.data == "[DONE]" { continuation.finish(); return }
                            continuation.yield(event.data)
                        }
                    }
                    for event in parser.finish() where event.data != "[DONE]" { continuation.yield(event.data) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// One HTTP client per pinned host, kept for the life of the process like `HTTPClient.shared`:
/// its connections go to the pinned address (AsyncHTTPClient's `dnsOverride`), while the
/// Host header and TLS server name stay the configured host.
enum PinnedHTTPClients {
    private static let clients = Mutex<[String: HTTPClient]>([:])

    static func client(connecting host: String, to address: String) -> HTTPClient {
        clients.withLock { clients in
            let key = host + " " + address
            if let client = clients[key] { return client }
            var configuration = HTTPClient.Configuration.singletonConfiguration
            configuration.dnsOverride = [host: address]
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = client
            return client
        }
    }
}
