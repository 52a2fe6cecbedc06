import Foundation
import HTTPTypes
import Hummingbird
import RagStore

/// Works out who is asking (API token, session cookie, or — only when configured and only
/// from the proxy's address — a trusted header) and enforces CSRF on every state-changing
/// request made with a session cookie. It never refuses anonymous requests: routes that need
/// a user sit behind `RequireRole`.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = RagRequestContext
    let accounts: Accounts
    let trustedHeader: ServerConfiguration.TrustedHeader?

    static let sessionCookie = "ragd_session"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer",
                  let user = try accounts.user(token: String(parts[1]).trimmingCharacters(in: .whitespaces))
            else { throw ServerError(.unauthorized, "The API token is not valid (revoked, or its user is disabled).") }
            context.identity = Identity(user: user, method: .apiToken)
        } else if let cookie = request.cookies[Self.sessionCookie]?.value, let session = try accounts.session(cookie: cookie) {
            context.identity = Identity(user: session.user, method: .session(csrfToken: session.csrfToken))
        } else if let trusted = trustedHeader, let identity = try await trustedIdentity(request, context: context, trusted) {
            context.identity = identity
        }

        if request.method.isUnsafe, let identity = context.identity {
            switch identity.method {
            case .session(let expected):
                try await Self.checkCSRF(&request, expected: expected)
            case .trustedHeader:
                // No token in this mode: the browser's own Origin / Sec-Fetch-Site must say same origin.
                let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!]
                let origin = request.headers[HTTPField.Name("Origin")!]
                let host = request.head.authority ?? ""
                let sameOrigin = site.map { $0 == "same-origin" } ?? origin.map { $0.hasSuffix("://" + host) } ?? false
                guard sameOrigin else { throw ServerError(.forbidden, "Cross-site request refused.") }
            case .apiToken:
                break  // not sent automatically by browsers: no CSRF risk
            }
        }
        if let identity = context.identity {
            context.logger[metadataKey: "user"] = "\(identity.name)"
        }
        return try await next(request, context)
    }

    /// The session's CSRF token must come back in the X-CSRF-Token header or the `csrf` form field.
    static func checkCSRF(_ request: inout Request, expected: String) async throws {
        if let header = request.headers[.xCSRFToken] {
            guard Accounts.constantTimeEqual(header, expected) else { throw csrfError }
            return
        }
        let type = request.headers[.contentType] ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else { throw csrfError }
        // A body that is not a form carries no token either: the same 403.
        let form = try? await request.decodeForm(CSRFForm.self)
        guard let field = form?.csrf, Accounts.constantTimeEqual(field, expected) else { throw csrfError }
    }

    static let csrfError = ServerError(.forbidden, "The form has expired or did not come from ragd. Reload the page and try again.")

    private func trustedIdentity(_ request: Request, context: Context, _ trusted: ServerConfiguration.TrustedHeader)
        async throws -> Identity?
    {
        guard let address = context.clientAddress, trusted.trustedProxies.contains(address),
              let name = request.headers[HTTPField.Name(trusted.userHeader)!]?.trimmingCharacters(in: .whitespaces),
              !name.isEmpty
        else { return nil }
        let groups = trusted.groupsHeader.flatMap { request.headers[HTTPField.Name($0)!] }.map(GroupList.parse)
        var user = try accounts.store.accounts.user(name: name)
        if user == nil {
            // First visit through the proxy: an employee account without a password.
            user = try await accounts.addUser(name: name, password: nil, role: .employee, groups: groups ?? [])
        }
        guard var found = user, !found.disabled else { return nil }
        if let groups { found.groups = GroupList.encode(groups) }
        return Identity(user: found, method: .trustedHeader)
    }
}

extension HTTPRequest.Method {
    var isUnsafe: Bool { self != .get && self != .head && self != .options }
}
