import HTTPTypes
import Hummingbird

/// Sets the browser's security headers on every response, error pages included, so no route
/// can forget them.
///
/// Hummingbird 2.28.1 has `ContentSecurityMiddleware`, which we don't use because it appends
/// its policy to every response: the document route's sandbox policy for stored HTML pages
/// would then be combined with the page policy (blocking the inline styles and data: images
/// the sandbox allows), and PDFs would get a policy meant for pages. It also sees only
/// responses, not the errors that become pages. We use its `ContentSecurityPolicy` builder.
///
/// - Every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`.
/// - HTML without a policy of its own (ragd's pages): ``pagePolicy`` (scripts and styles only
///   from ragd itself, no framing), and `X-Frame-Options: DENY` for browsers that predate
///   `frame-ancestors`.
///
/// A header a route has set is left as it is.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var pagePolicy: ContentSecurityPolicy {
        [
            .defaultSrc(.none), .scriptSrc(.self), .styleSrc(.self), .imgSrc(.self), .connectSrc(.self),
            .formAction(.self), .frameAncestors(.none), .baseURI(.none),
        ]
    }

    private let pagePolicy = Self.pagePolicy.description

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // What the error would become after the middleware chain, so it gets the headers too.
            response = try error.response(from: request, context: context)
        }
        setDefault(.xContentTypeOptions, "nosniff", in: &response.headers)
        setDefault(.referrerPolicy, "no-referrer", in: &response.headers)
        if response.headers[.contentType]?.hasPrefix("text/html") == true, response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = pagePolicy
            setDefault(.xFrameOptions, "DENY", in: &response.headers)
        }
        return response
    }

    private func setDefault(_ name: HTTPField.Name, _ value: String, in headers: inout HTTPFields) {
        if headers[name] == nil { headers[name] = value }
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
