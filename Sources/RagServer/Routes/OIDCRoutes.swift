import Foundation
import Hummingbird
import RagStore

/// Sign-in through the identity provider: `/auth/oidc/login` sends the browser to the provider,
/// `/auth/oidc/callback` takes it back, checks everything (`OIDCProvider`), finds or creates
/// the account and starts a session. Both answer without an identity.
extension RagServer {
    /// Binds a started sign-in to the browser that started it: a callback carrying another
    /// browser's state is refused (login CSRF).
    public static let oidcStateCookie = "ragd_oidc_state"

    func addOIDCRoutes(to router: Hummingbird.Router<RagRequestContext>) {
        guard let oidc else { return }
        router.get("/auth/oidc/login") { request, context in
            let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
            let started: (url: String, state: String)
            do {
                started = try await oidc.begin(next: next)
            } catch {
                context.logger.error("sign-in through the identity provider could not start", metadata: ["error": "\(error)"])
                return loginPage(next: next, error: "Sign-in through \(oidc.settings.providerName) is not available right now: \(error)",
                                 status: .badGateway)
            }
            var response = Response(status: .found, headers: [.location: started.url])
            response.setCookie(oidcStateCookie(started.state, maxAge: Int(OIDCProvider.pendingLifetime)))
            return response
        }
        router.get("/auth/oidc/callback") { request, context in
            let query = request.uri.queryParameters
            if let error = query["error"] {
                let detail = query["error_description"].map { ": \($0)" } ?? ""
                return loginPage(next: nil, error: "\(oidc.settings.providerName) did not sign you in (\(error)\(detail)).",
                                 status: .unauthorized)
            }
            guard let code = query["code"].map(String.init), let state = query["state"].map(String.init) else {
                throw ServerError.badRequest("The sign-in callback needs code and state.")
            }
            guard let bound = request.cookies[Self.oidcStateCookie]?.value, Accounts.constantTimeEqual(bound, state) else {
                return loginPage(next: nil, error: "This sign-in did not start in this browser. Start again from the sign-in page.",
                                 status: .forbidden)
            }
            do {
                let person = try await oidc.complete(code: code, state: state)
                let (user, created) = try providerAccount(person)
                guard !user.disabled else {
                    return loginPage(next: nil, error: "Your ragd account is disabled. Ask an administrator.", status: .forbidden)
                }
                if created, let audit {
                    try? await audit.recordAction(
                        "user.add", details: ["name": user.name, "role": user.role.rawValue, "via": "identity provider",
                                              "groups": user.groupList.joined(separator: ",")],
                        identity: Identity(user: user, method: .apiToken), clientAddress: context.clientAddress)
                }
                var response = try signIn(user, next: person.next)
                response.setCookie(oidcStateCookie("", maxAge: 0))
                return response
            } catch let error as OIDCError {
                context.logger.notice("sign-in through the identity provider refused", metadata: ["reason": "\(error)"])
                return loginPage(next: nil, error: error.description, status: .unauthorized)
            } catch let error as StoreError {
                return loginPage(next: nil, error: error.description, status: .conflict)
            }
        }
    }

    /// The account for a person the provider vouched for: groups from the groups claim, the
    /// role from `role_groups` (admin before auditor before employee) when it is configured.
    func providerAccount(_ person: OIDCProvider.SignedIn) throws -> (user: UserRecord, created: Bool) {
        let settings = oidc!.settings
        var role: Role?
        if !settings.roleGroups.isEmpty {
            role = .employee
            for candidate in [Role.admin, .auditor] {
                if let group = settings.roleGroups[candidate.rawValue], person.groups.contains(group) {
                    role = candidate
                    break
                }
            }
        }
        // The name must be a ragd user name; an address or a name with spaces is cut to one.
        let name = String(String(person.username.unicodeScalars.filter(Accounts.nameCharacters.contains)).prefix(64))
        guard !name.isEmpty else {
            throw OIDCError("The identity provider gave no usable account name (claim \(settings.usernameClaim)).")
        }
        return try store.accounts.providerAccount(subject: person.subject, name: name, displayName: person.displayName,
                                                  groups: person.groups, role: role)
    }

    func oidcStateCookie(_ value: String, maxAge: Int) -> Cookie {
        // SameSite=Lax: the provider's redirect back is a top-level GET from another site.
        Cookie(name: Self.oidcStateCookie, value: value, maxAge: maxAge, path: "/auth/oidc", secure: configuration.secureCookies,
               httpOnly: true, sameSite: .lax)
    }
}
