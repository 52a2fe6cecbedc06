import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RagCore
import RagServer
import RagTesting

/// Runs `body` against the real router built over the shared server fixture.
func withServer<T: Sendable>(_ configuration: ServerConfiguration? = nil,
                             _ body: @Sendable (any TestClientProtocol, ServerFixture.Parts) async throws -> T) async throws -> T {
    let parts = try await ServerFixture.shared.get()
    let app = Application(router: parts.router(configuration: configuration))
    return try await app.test(.router) { client in try await body(client, parts) }
}

extension TestClientProtocol {
    func get(_ uri: String, token: String? = nil, cookie: String? = nil, accept: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let cookie { headers[.cookie] = cookie }
        if let accept { headers[.accept] = accept }
        return try await execute(uri: uri, method: .get, headers: headers)
    }

    func postJSON(_ uri: String, _ json: String, token: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    func postForm(_ uri: String, _ fields: [String: String], cookie: String? = nil, headers extra: HTTPFields = [:])
        async throws -> TestResponse
    {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie { headers[.cookie] = cookie }
        for field in extra { headers.append(field) }
        let body = fields.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// Signs in through the login form. - Returns: the session cookie header value and its CSRF token.
    func signIn(_ name: String, password: String = ServerFixture.password) async throws -> (cookie: String, csrf: String) {
        let page = try await get("/login")
        let loginCookie = page.cookie(named: "ragd_login")!
        let csrf = page.text.firstMatch(of: /name="csrf" value="([^"]+)"/)!.1
        let response = try await postForm("/login", ["name": name, "password": password, "csrf": String(csrf), "next": "/"],
                                          cookie: "ragd_login=\(loginCookie)")
        guard response.status == .seeOther, let session = response.cookie(named: "ragd_session") else {
            throw SignInFailed(status: response.status.code)
        }
        let cookie = "ragd_session=\(session)"
        let home = try await get("/", cookie: cookie)
        let token = home.text.firstMatch(of: /name="csrf" value="([^"]+)"/)!.1
        return (cookie, String(token))
    }
}

struct SignInFailed: Error { let status: Int }

extension TestResponse {
    var text: String { String(buffer: body) }

    func cookie(named name: String) -> String? {
        for value in headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == name { return String(pair[1]) }
        }
        return nil
    }

    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] ?? [:]
    }

    /// Server-sent events as (name, JSON data) pairs.
    var events: [(name: String, data: String)] {
        ServerSentEventParser.events(in: body.readableBytesView).map { ($0.name ?? "message", $0.data) }
    }
}
