import Hummingbird
import RagStore

/// Lets a request through only with one of `roles`; otherwise sends browsers to the sign-in
/// page and API clients a 401, or answers 403 for a user of another role.
struct RequireRole: RouterMiddleware {
    typealias Context = RagRequestContext
    let roles: Set<Role>

    init(_ roles: Role...) { self.roles = Set(roles) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = context.identity else {
            if request.wantsJSON || request.method != .get {
                throw ServerError(.unauthorized, "Sign in first, or send an API token: Authorization: Bearer <token>.")
            }
            let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return HTML.redirect("/login?next=" + (target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
        }
        guard roles.contains(identity.role) else { throw ServerError.forbidden() }
        return try await next(request, context)
    }
}
