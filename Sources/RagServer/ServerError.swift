import Foundation
import HTTPTypes
import Hummingbird

/// An error that chooses its own HTTP response: JSON for API paths, a small page for browsers.
/// Messages say what to do and never echo document text or questions.
public struct ServerError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    /// Extra headers, e.g. Retry-After.
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        if request.wantsJSON {
            headers[.contentType] = "application/json"
            if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
            let body = try JSONEncoder().encode(["error": message])
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let page = ErrorPage(title: "\(status.code) \(status.reasonPhrase)", reason: status.reasonPhrase, message: message)
        var response = Views.response(page, status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    static func notFound() -> ServerError { ServerError(.notFound, "There is nothing here.") }
    static func forbidden() -> ServerError { ServerError(.forbidden, "Your role does not allow this.") }
    static func badRequest(_ message: String) -> ServerError { ServerError(.badRequest, message) }
}

extension Request {
    /// API clients get JSON errors; browsers get pages.
    var wantsJSON: Bool {
        let path = uri.path
        if path.hasPrefix("/api/") || path.hasPrefix("/v1/") || path == "/metrics" { return true }
        let accept = headers[.accept] ?? ""
        return accept.contains("application/json") && !accept.contains("text/html")
    }

    /// Whether a browser expects a page (as opposed to fetch() asking for events).
    var wantsEventStream: Bool { (headers[.accept] ?? "").contains("text/event-stream") }
}
