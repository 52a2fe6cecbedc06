import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RagServer
import RagStore
import RagTesting
import Testing

/// Sign-in through an OpenID Connect provider, against a provider process on loopback
/// (`TestIdentityProvider`, jwt-kit-signed tokens): the round trip, and every token a relying
/// party must refuse.
@Suite(.serialized) struct OIDCTests {
    static let priya = TestIdentityProvider.Person(
        subject: "f3a9-0001", username: "priya.raman", name: "Priya Raman", email: "priya.raman@corp.example",
        groups: ["finance", "ragd-admins"])

    func settings(issuer: String, provider: TestIdentityProvider) -> ServerConfiguration {
        var configuration = ServerFixture.configuration
        var oidc = OIDCSettings(issuer: issuer, clientId: provider.clientId, clientSecret: provider.clientSecret,
                                redirectURL: "http://ragd.test/auth/oidc/callback")
        oidc.roleGroups = ["admin": "ragd-admins"]
        oidc.providerName = "Corp SSO"
        configuration.oidc = oidc
        configuration.localAccounts = false
        return configuration
    }

    /// ragd's login → the provider's authorize → ragd's callback. - Returns: the callback's response.
    func signIn(ragd: any TestClientProtocol, idp: any TestClientProtocol, next: String = "/history",
                tamper: (inout String, inout String) -> Void = { _, _ in }) async throws -> (TestResponse, callback: String, cookie: String) {
        let start = try await ragd.get("/auth/oidc/login?next=" + next)
        #expect(start.status == .found)
        let authorize = try #require(start.headers[.location])
        var stateCookie = try #require(start.cookie(named: RagServer.oidcStateCookie))
        let url = try #require(URLComponents(string: authorize))
        let atProvider = try await idp.get(url.path + "?" + (url.percentEncodedQuery ?? ""))
        #expect(atProvider.status == .found, "the provider refused: \(atProvider.status)")
        let location = try #require(atProvider.headers[.location])
        let back = try #require(URLComponents(string: location))
        #expect(back.path == "/auth/oidc/callback")
        var callback = back.path + "?" + (back.percentEncodedQuery ?? "")
        tamper(&callback, &stateCookie)
        let cookie = "\(RagServer.oidcStateCookie)=\(stateCookie)"
        return (try await ragd.get(callback, cookie: cookie), callback, cookie)
    }

    @Test func aSignInThroughTheProviderCreatesTheAccountOnceAndRefusesEveryBadToken() async throws {
        let provider = TestIdentityProvider(person: Self.priya)
        let parts = try await ServerFixture.shared.get()
        try await provider.run { issuer, idp in
            let app = Application(router: parts.router(configuration: settings(issuer: issuer, provider: provider)))
            try await app.test(.router) { ragd in
                // The sign-in page offers the provider, and no password form (local accounts off).
                let page = try await ragd.get("/login")
                #expect(page.text.contains("Sign in with Corp SSO"))
                #expect(!page.text.contains("type=\"password\""))
                let refused = try await ragd.postForm("/login", ["name": "adam", "password": ServerFixture.password])
                #expect(refused.status == .forbidden)

                // A good round trip: a session, back where the employee was going.
                let (good, callback, cookie) = try await signIn(ragd: ragd, idp: idp)
                #expect(good.status == .seeOther || good.status == .found, "\(good.status): \(good.text)")
                #expect(good.headers[.location] == "/history")
                let session = try #require(good.cookie(named: "ragd_session"))
                let home = try await ragd.get("/", cookie: "ragd_session=\(session)")
                #expect(home.status == .ok)
                let user = try #require(try parts.store.accounts.user(name: "priya.raman"))
                #expect(user.displayName == "Priya Raman")
                #expect(user.groupList == ["finance", "ragd-admins"])
                #expect(user.role == .admin)
                #expect(user.passwordHash == nil)

                // The same callback again (a replayed state) is refused.
                let replayed = try await ragd.get(callback, cookie: cookie)
                #expect(replayed.status == .unauthorized)
                #expect(replayed.text.contains("used already"), "\(replayed.text)")

                // A second sign-in finds the same account, with the groups the provider says now.
                await provider.set(person: .init(subject: Self.priya.subject, username: "priya.raman", name: "Priya Raman",
                                                 email: Self.priya.email, groups: ["finance"]), fault: .none)
                let again = try await signIn(ragd: ragd, idp: idp).0
                #expect(again.cookie(named: "ragd_session") != nil)
                let updated = try #require(try parts.store.accounts.user(name: "priya.raman"))
                #expect(updated.id == user.id && updated.groupList == ["finance"] && updated.role == .employee)

                // Tokens the relying party must refuse, each with its reason.
                for (fault, words) in [(TestIdentityProvider.Fault.wrongAudience, "another application"), (.expired, "expired"),
                                       (.badSignature, "signature")] {
                    await provider.set(fault: fault)
                    let bad = try await signIn(ragd: ragd, idp: idp).0
                    #expect(bad.status == .unauthorized, "\(fault): \(bad.status)")
                    #expect(bad.text.contains(words), "\(fault): \(bad.text)")
                    #expect(bad.cookie(named: "ragd_session") == nil)
                }
                await provider.set(fault: .none)

                // A callback that did not start in this browser (another state cookie).
                let foreign = try await signIn(ragd: ragd, idp: idp) { _, cookie in cookie = "someone-elses-state" }.0
                #expect(foreign.status == .forbidden)

                // A provider account whose name belongs to a local account does not take it over.
                await provider.set(person: .init(subject: "other-77", username: "adam", name: "Adam Admin",
                                                 email: "adam@corp.example", groups: []), fault: .none)
                let takeover = try await signIn(ragd: ragd, idp: idp).0
                #expect(takeover.status == .conflict, "\(takeover.status)")
                #expect(try parts.store.accounts.user(name: "adam")?.oidcSubject == nil)
            }
        }
    }

    @Test func anIssuerOutsideTheNetworkIsRefusedAtStart() {
        let settings = OIDCSettings(issuer: "https://8.8.8.8/realms/corp", clientId: "ragd", clientSecret: nil,
                                    redirectURL: "https://ragd.example.com/auth/oidc/callback")
        #expect(throws: OIDCError.self) { try OIDCProvider(settings: settings) }
        var allowed = settings
        allowed.allowPublicIssuer = true
        #expect(throws: Never.self) { try OIDCProvider(settings: allowed) }
    }
}
