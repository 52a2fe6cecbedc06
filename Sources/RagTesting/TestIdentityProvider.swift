import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import NIOCore

/// An OpenID Connect provider written for the tests (no user runs it): discovery, an
/// authorization endpoint that signs in `person` at once, a token endpoint that checks the
/// client secret, the redirect URI and the PKCE verifier, and a JWKS with one P-256 key. ID
/// tokens are signed with jwt-kit. `fault` makes it issue the bad tokens a relying party must
/// refuse: for another audience, already expired, or signed with a key that is not in its JWKS.
public final class TestIdentityProvider: Sendable {
    public enum Fault: Sendable { case none, wrongAudience, expired, badSignature }

    public struct Person: Sendable {
        public var subject: String
        public var username: String
        public var name: String
        public var email: String
        public var groups: [String]
        public init(subject: String, username: String, name: String, email: String, groups: [String]) {
            self.subject = subject
            self.username = username
            self.name = name
            self.email = email
            self.groups = groups
        }
    }

    public let clientId = "ragd-test"
    public let clientSecret = "client-secret-for-tests"
    let state: ProviderState
    let key = ES256PrivateKey()
    let rogueKey = ES256PrivateKey()
    static let kid = "test-key-1"

    public init(person: Person) {
        state = ProviderState(person: person)
    }

    /// The next sign-ins' person and fault.
    public func set(person: Person? = nil, fault: Fault) async { await state.set(person: person, fault: fault) }

    /// Starts the provider on a loopback port; `body` gets its issuer URL and a client for it.
    public func run(_ body: @Sendable (_ issuer: String, _ client: any TestClientProtocol) async throws -> Void) async throws {
        let router = Router()
        let state = self.state, clientId = self.clientId, clientSecret = self.clientSecret
        let signing = JWTKeyCollection(), rogue = JWTKeyCollection()
        await signing.add(ecdsa: key, kid: JWKIdentifier(string: Self.kid))
        await rogue.add(ecdsa: rogueKey, kid: JWKIdentifier(string: Self.kid))
        let (x, y) = key.publicKey.parameters!
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","use":"sig","alg":"ES256","kid":"\#(Self.kid)","x":"\#(x)","y":"\#(y)"}]}"#

        router.get("/.well-known/openid-configuration") { request, _ in
            let issuer = "http://" + (request.head.authority ?? "127.0.0.1")
            return Self.json("""
                {"issuer":"\(issuer)","authorization_endpoint":"\(issuer)/authorize","token_endpoint":"\(issuer)/token",\
                "jwks_uri":"\(issuer)/jwks","response_types_supported":["code"],"subject_types_supported":["public"],\
                "id_token_signing_alg_values_supported":["ES256"],"code_challenge_methods_supported":["S256"]}
                """)
        }
        router.get("/jwks") { _, _ in Self.json(jwks) }
        router.get("/authorize") { request, _ in
            let q = request.uri.queryParameters
            guard q["response_type"] == "code", q["client_id"].map(String.init) == clientId,
                  q["code_challenge_method"] == "S256", let challenge = q["code_challenge"].map(String.init),
                  let redirect = q["redirect_uri"].map(String.init), let requestState = q["state"].map(String.init),
                  q["scope"]?.split(separator: " ").contains("openid") == true
            else { return Response(status: .badRequest) }
            let code = UUID().uuidString
            await state.grant(code, Grant(redirect: redirect, challenge: challenge, nonce: q["nonce"].map(String.init)))
            var target = URLComponents(string: redirect)!
            target.queryItems = [URLQueryItem(name: "code", value: code), URLQueryItem(name: "state", value: requestState)]
            return Response(status: .found, headers: [.location: target.url!.absoluteString])
        }
        router.post("/token") { request, context in
            let issuer = "http://" + (request.head.authority ?? "127.0.0.1")
            let expected = "Basic " + Data("\(clientId):\(clientSecret)".utf8).base64EncodedString()
            guard request.headers[.authorization] == expected else { return Self.json(#"{"error":"invalid_client"}"#, status: .unauthorized) }
            let body = String(buffer: try await request.body.collect(upTo: 65536))
            var form: [String: String] = [:]
            for pair in body.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                if parts.count == 2 { form[parts[0]] = parts[1] }
            }
            guard form["grant_type"] == "authorization_code", let code = form["code"], let verifier = form["code_verifier"],
                  let grant = await state.redeem(code), grant.redirect == form["redirect_uri"],
                  Self.base64URL(Data(SHA256.hash(data: Data(verifier.utf8)))) == grant.challenge
            else { return Self.json(#"{"error":"invalid_grant"}"#, status: .badRequest) }
            let (person, fault) = await state.current()
            let now = Date()
            let claims = Claims(
                iss: IssuerClaim(value: issuer), sub: SubjectClaim(value: person.subject),
                aud: AudienceClaim(value: fault == .wrongAudience ? "another-application" : clientId),
                exp: ExpirationClaim(value: fault == .expired ? now.addingTimeInterval(-600) : now.addingTimeInterval(300)),
                iat: IssuedAtClaim(value: now.addingTimeInterval(fault == .expired ? -900 : 0)), nonce: grant.nonce,
                preferred_username: person.username, name: person.name, email: person.email, groups: person.groups)
            let keys = fault == .badSignature ? rogue : signing
            let token = try await keys.sign(claims, kid: JWKIdentifier(string: Self.kid))
            return Self.json(#"{"access_token":"opaque","token_type":"Bearer","expires_in":300,"id_token":"\#(token)"}"#)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            guard let port = client.port else { throw ProviderError.noPort }
            try await body("http://127.0.0.1:\(port)", client)
        }
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    struct Grant: Sendable {
        var redirect: String
        var challenge: String
        var nonce: String?
    }

    actor ProviderState {
        var person: Person
        var fault = Fault.none
        var codes: [String: Grant] = [:]
        init(person: Person) { self.person = person }
        func set(person: Person?, fault: Fault) {
            if let person { self.person = person }
            self.fault = fault
        }
        func grant(_ code: String, _ grant: Grant) { codes[code] = grant }
        /// A code works once.
        func redeem(_ code: String) -> Grant? { codes.removeValue(forKey: code) }
        func current() -> (Person, Fault) { (person, fault) }
    }

    struct Claims: JWTPayload {
        var iss: IssuerClaim
        var sub: SubjectClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim
        var nonce: String?
        var preferred_username: String
        var name: String
        var email: String
        var groups: [String]
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    enum ProviderError: Error { case noPort }
}
