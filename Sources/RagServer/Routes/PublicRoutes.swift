import Foundation
import Hummingbird
import RagStore

/// Sign-in, sign-out, first-admin setup, health and static files: the only routes that
/// answer without an identity.
extension RagServer {
    static let loginCookie = "ragd_login"

    func addPublicRoutes(to router: Hummingbird.Router<RagRequestContext>) {
        router.get("/healthz") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/readyz") { _, _ in try readiness() }
        router.get("/static/app.css") { _, _ in Assets.response(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/static/app.js") { _, _ in Assets.response(Assets.javascript, type: "text/javascript; charset=utf-8") }
        router.get("/openapi.yaml") { _, _ in Assets.response(Assets.openAPI, type: "application/yaml; charset=utf-8") }

        router.get("/login") { request, context in
            if context.identity != nil { return HTML.redirect(Self.safeNext(request.uri.queryParameters["next"].map(String.init))) }
            return loginPage(next: request.uri.queryParameters["next"].map(String.init), error: nil)
        }
        router.post("/login") { request, context in
            var request = request
            let form = try await request.decodeForm(LoginForm.self)
            guard configuration.localAccounts else {
                return loginPage(next: form.next, error: "Sign-in with a ragd password is turned off here: use "
                                 + (oidc.map { "Sign in with \($0.settings.providerName)" } ?? "your company's sign-in") + ".",
                                 status: .forbidden)
            }
            guard let expected = request.cookies[Self.loginCookie]?.value, let sent = form.csrf,
                  Accounts.constantTimeEqual(expected, sent)
            else { return loginPage(next: form.next, error: "The sign-in form expired. Please try again.", status: .forbidden) }
            let name = form.name?.trimmingCharacters(in: .whitespaces) ?? ""
            let key = "\(name.lowercased())@\(context.clientAddress ?? "")"
            if await loginLimiter.isLimited(key) {
                return loginPage(next: form.next, error: "Too many failed attempts. Wait a few minutes and try again.",
                                 status: .tooManyRequests)
            }
            guard let user = await accounts.authenticate(name: name, password: form.password ?? "") else {
                _ = await loginLimiter.hit(key)
                context.logger.notice("sign-in failed", metadata: ["name": "\(name)"])
                return loginPage(next: form.next, error: "The name or password is not right.", status: .unauthorized)
            }
            await loginLimiter.reset(key)
            return try signIn(user, next: form.next)
        }
        router.post("/logout") { request, context in
            // AuthenticationMiddleware has checked the CSRF token of this session.
            if let cookie = request.cookies[AuthenticationMiddleware.sessionCookie]?.value {
                try accounts.endSession(cookie: cookie)
            }
            var response = HTML.redirect("/login")
            response.setCookie(sessionCookie(value: "", maxAge: 0))
            return response
        }

        router.get("/setup") { request, _ in
            let token = request.uri.queryParameters["token"].map(String.init) ?? ""
            guard try accounts.isValidSetupToken(token) else {
                throw ServerError(.notFound, "This setup link is not valid (an admin exists already, or the link is old). "
                                  + "Create accounts with `ragd user add`.")
            }
            return setupPage(token: token, error: nil)
        }
        router.post("/setup") { request, context in
            var request = request
            let form = try await request.decodeForm(SetupForm.self)
            let token = form.token ?? ""
            guard try accounts.isValidSetupToken(token) else { throw ServerError(.notFound, "This setup link is not valid.") }
            let password = form.password ?? ""
            guard password == form.password2 else { return setupPage(token: token, error: "The two passwords differ.") }
            let user: UserRecord
            do {
                user = try await accounts.addUser(
                    name: try required(form.name, "name"), password: password, role: .admin,
                    groups: GroupList.parse(form.groups ?? ""))
            } catch let error as AccountError {
                return setupPage(token: token, error: error.description)
            }
            try accounts.consumeSetupToken()
            let identity = Identity(user: user, method: .apiToken)
            if let audit {
                try? await audit.recordAction("user.add", details: ["name": user.name, "role": "admin", "via": "setup link"],
                                              identity: identity, clientAddress: context.clientAddress)
            }
            return try signIn(user, next: "/admin")
        }
    }

    func signIn(_ user: UserRecord, next: String?) throws -> Response {
        let session = try accounts.startSession(for: user)
        var response = HTML.redirect(Self.safeNext(next))
        response.setCookie(sessionCookie(value: session.cookie, maxAge: Int(accounts.sessionLifetime)))
        response.setCookie(Cookie(name: Self.loginCookie, value: "", maxAge: 0, path: "/", secure: configuration.secureCookies,
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    func sessionCookie(value: String, maxAge: Int) -> Cookie {
        Cookie(name: AuthenticationMiddleware.sessionCookie, value: value, maxAge: maxAge, path: "/",
               secure: configuration.secureCookies, httpOnly: true, sameSite: .lax)
    }

    /// Only local paths: never an open redirect to another site.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/" }
        return next
    }

    func loginPage(next: String?, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        let token = Accounts.randomToken()
        let page = LoginPage(error: error, loginToken: token, next: Self.safeNext(next), localAccounts: configuration.localAccounts,
                             providerName: oidc?.settings.providerName)
        var response = Views.response(page, status: status)
        response.setCookie(Cookie(name: Self.loginCookie, value: token, maxAge: 3600, path: "/",
                                  secure: configuration.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    private func setupPage(token: String, error: String?) -> Response {
        Views.response(SetupPage(error: error, token: token))
    }

    private func readiness() throws -> Response {
        var ok = true
        var database = "ok"
        do { _ = try store.indexCounts() } catch {
            ok = false
            database = "error: \(error)"
        }
        // The embedding model is the active index's (an embedding-model migration switches it
        // while the daemon runs), not the one loaded at start.
        let embedding = (try? store.activeVectorIndex().model) ?? modelNames["embedding"] ?? ""
        let body: [String: String] = [
            "status": ok ? "ready" : "not ready", "database": database,
            "chat_model": modelNames["chat"] ?? "", "embedding_model": embedding,
        ]
        let data = try JSONEncoder().encode(body)
        return Response(status: ok ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
