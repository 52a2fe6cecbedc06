import AsyncHTTPClient
import Crypto
import Foundation
import JWTKit
import NIOCore
import RagInference

/// The relying-party side of OpenID Connect's authorization code flow with PKCE.
///
/// `begin` makes a one-time `state`, a `nonce` and a PKCE verifier, keeps them for ten minutes,
/// and returns the provider's authorization URL; `complete` takes the code and state the
/// browser brings back, refuses a state it does not hold (unknown, expired, or used once
/// already: a replayed callback fails), exchanges the code with the verifier at the token
/// endpoint, and verifies the ID token with jwt-kit: signature against the provider's JWKS,
/// issuer, audience (this client), expiry, and the nonce of this sign-in.
///
/// The discovery document is cached for an hour, the JWKS until a token names a key it does not
/// hold (the provider rotated its keys): then the JWKS is fetched again, at most once a minute.
/// The issuer, the token endpoint and the JWKS address pass the same no-egress policy as model
/// endpoints (loopback and private ranges, unless `allow_public_issuer`), and requests connect
/// to the addresses that were checked.
public actor OIDCProvider {
    public let settings: OIDCSettings
    private let now: @Sendable () -> Date
    private var discovery: (document: Discovery, fetched: Date)?
    private var keys: (collection: JWTKeyCollection, fetched: Date)?
    private var pending: [String: PendingSignIn] = [:]

    /// How long a started sign-in may take.
    static let pendingLifetime: TimeInterval = 600

    struct Discovery: Decodable {
        var issuer: String
        var authorization_endpoint: String
        var token_endpoint: String
        var jwks_uri: String
    }

    struct PendingSignIn {
        var nonce: String
        var verifier: String
        var next: String
        var started: Date
    }

    /// What a verified ID token says about the person.
    public struct SignedIn: Sendable, Equatable {
        /// `issuer#sub`: the account's stable key.
        public var subject: String
        public var username: String
        public var displayName: String?
        public var email: String?
        public var groups: [String]
        /// Where the employee was going when sign-in started (a local path).
        public var next: String
    }

    /// - Throws: `OIDCError` when the issuer URL fails the no-egress policy.
    public init(settings: OIDCSettings, now: @escaping @Sendable () -> Date = Date.init) throws {
        _ = try Self.client(for: settings.issuer, settings: settings, setting: "server.oidc.issuer")
        self.settings = settings
        self.now = now
    }

    /// Starts a sign-in. - Returns: the provider's authorization URL, and the state to bind to
    /// the browser (a cookie), so that a callback from another browser fails.
    public func begin(next: String) async throws -> (url: String, state: String) {
        let document = try await discovered()
        expire()
        // 256 random bits each; the verifier's 43 characters are PKCE's minimum length.
        let state = Accounts.randomToken(), nonce = Accounts.randomToken(), verifier = Accounts.randomToken()
        pending[state] = PendingSignIn(nonce: nonce, verifier: verifier, next: next, started: now())
        var components = URLComponents(string: document.authorization_endpoint)
        let existing = components?.queryItems ?? []
        components?.queryItems = existing + [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: settings.clientId),
            URLQueryItem(name: "redirect_uri", value: settings.redirectURL),
            URLQueryItem(name: "scope", value: settings.scopes.joined(separator: " ")),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "nonce", value: nonce),
            URLQueryItem(name: "code_challenge", value: Self.challenge(verifier)),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        guard let url = components?.url?.absoluteString else {
            throw OIDCError("The identity provider's authorization endpoint \(document.authorization_endpoint) is not a URL.")
        }
        return (url, state)
    }

    /// Finishes a sign-in with what the provider sent back. Each state works once.
    /// - Throws: `OIDCError` saying what failed, in words for the person signing in.
    public func complete(code: String, state: String) async throws -> SignedIn {
        expire()
        guard let started = pending.removeValue(forKey: state) else {
            throw OIDCError("This sign-in link has been used already or has expired. Start again from the sign-in page.")
        }
        let document = try await discovered()
        let idToken = try await exchange(code: code, verifier: started.verifier, at: document.token_endpoint)
        let claims = try await verify(idToken, document: document)
        guard claims.nonce == started.nonce else {
            throw OIDCError("The identity provider's answer does not belong to this sign-in (nonce). Start again.")
        }
        let raw = try Self.payload(of: idToken)
        let sub = claims.subject.value
        let email = raw["email"] as? String
        let username = (raw[settings.usernameClaim] as? String) ?? email ?? sub
        let groups: [String] = switch raw[settings.groupsClaim] {
        case let list as [Any]: list.compactMap { $0 as? String }
        case let one as String: [one]
        default: []
        }
        return SignedIn(subject: document.issuer + "#" + sub, username: username, displayName: raw["name"] as? String,
                        email: email, groups: groups, next: started.next)
    }

    // MARK: The provider's documents

    private func discovered() async throws -> Discovery {
        if let discovery, now().timeIntervalSince(discovery.fetched) < 3600 { return discovery.document }
        let base = settings.issuer.hasSuffix("/") ? String(settings.issuer.dropLast()) : settings.issuer
        let document: Discovery = try await getJSON(base + "/.well-known/openid-configuration", setting: "server.oidc.issuer")
        // OpenID Connect Discovery: the document's issuer is exactly the configured one.
        guard document.issuer == settings.issuer || document.issuer == base else {
            throw OIDCError("The identity provider calls itself \(document.issuer), not the configured issuer \(settings.issuer).")
        }
        for (url, name) in [(document.token_endpoint, "token endpoint"), (document.jwks_uri, "JWKS")] {
            _ = try Self.client(for: url, settings: settings, setting: "the identity provider's \(name)")
        }
        discovery = (document, now())
        return document
    }

    private func keyCollection(document: Discovery, refresh: Bool) async throws -> JWTKeyCollection {
        if let keys, !refresh || now().timeIntervalSince(keys.fetched) < 60 { return keys.collection }
        let json: String = try await getText(document.jwks_uri, setting: "the identity provider's JWKS")
        let collection = JWTKeyCollection()
        do {
            try await collection.add(jwksJSON: json)
        } catch {
            throw OIDCError("The identity provider's signing keys (\(document.jwks_uri)) cannot be read: \(error)")
        }
        keys = (collection, now())
        return collection
    }

    private func verify(_ token: String, document: Discovery) async throws -> IDToken {
        var refresh = false
        while true {
            let collection = try await keyCollection(document: document, refresh: refresh)
            do {
                let claims = try await collection.verify(token, as: IDToken.self, expectedAudience: settings.clientId)
                guard claims.issuer.value == document.issuer else {
                    throw OIDCError("The sign-in token was issued by \(claims.issuer.value), not by \(document.issuer).")
                }
                return claims
            } catch let error as JWTError {
                // A key the cached JWKS lacks: the provider may have rotated its keys.
                if !refresh, [.signatureVerificationFailed, .noKeyProvided, .unknownKID].contains(error.errorType) {
                    refresh = true
                    continue
                }
                throw OIDCError(Self.explain(error))
            }
        }
    }

    static func explain(_ error: JWTError) -> String {
        switch error.failedClaim {
        case is AudienceClaim: return "The sign-in token was issued for another application (audience), not for ragd's client."
        case is ExpirationClaim: return "The sign-in token has expired. Start again; if it keeps happening, check this server's clock."
        default: break
        }
        if [.signatureVerificationFailed, .noKeyProvided, .unknownKID].contains(error.errorType) {
            return "The sign-in token's signature does not verify with the identity provider's keys."
        }
        return "The sign-in token was refused (\(error.reason ?? "\(error.errorType)"))."
    }

    private func exchange(code: String, verifier: String, at endpoint: String) async throws -> String {
        let form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", settings.redirectURL),
            ("code_verifier", verifier), ("client_id", settings.clientId),
        ]
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        if let secret = settings.clientSecret {
            // client_secret_basic: the id and secret form-encoded, then Base64 (RFC 6749 2.3.1).
            let credentials = Self.formEncode(settings.clientId) + ":" + Self.formEncode(secret)
            request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        }
        request.body = .bytes(ByteBuffer(string: form.map { Self.formEncode($0.0) + "=" + Self.formEncode($0.1) }.joined(separator: "&")))
        let client = try Self.client(for: endpoint, settings: settings, setting: "the identity provider's token endpoint")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(15))
        } catch {
            throw OIDCError("The identity provider's token endpoint did not answer (\(error)).")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        struct TokenResponse: Decodable { var id_token: String?; var error: String?; var error_description: String? }
        let decoded = try? JSONDecoder().decode(TokenResponse.self, from: Data(buffer: body))
        guard response.status == .ok, let idToken = decoded?.id_token else {
            let why = [decoded?.error, decoded?.error_description].compactMap { $0 }.joined(separator: ": ")
            throw OIDCError("The identity provider refused the sign-in code (\(response.status.code)\(why.isEmpty ? "" : ", " + why)).")
        }
        return idToken
    }

    private func getText(_ url: String, setting: String) async throws -> String {
        let client = try Self.client(for: url, settings: settings, setting: setting)
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(15))
        } catch {
            throw OIDCError("The identity provider at \(url) did not answer (\(error)).")
        }
        guard response.status == .ok else { throw OIDCError("The identity provider answered \(response.status.code) for \(url).") }
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    private func getJSON<T: Decodable>(_ url: String, setting: String) async throws -> T {
        let text = try await getText(url, setting: setting)
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw OIDCError("The identity provider's document at \(url) is not what OpenID Connect Discovery describes: \(error)")
        }
    }

    private static func client(for url: String, settings: OIDCSettings, setting: String) throws -> HTTPClient {
        do {
            return try EndpointPolicy.client(for: url, allowPublic: settings.allowPublicIssuer, setting: setting,
                                             allowKey: "server.oidc.allow_public_issuer")
        } catch {
            throw OIDCError(error.description)
        }
    }

    private func expire() {
        let cutoff = now().addingTimeInterval(-Self.pendingLifetime)
        pending = pending.filter { $0.value.started > cutoff }
    }

    // MARK: Encoding

    /// PKCE S256: BASE64URL(SHA256(verifier)).
    static func challenge(_ verifier: String) -> String {
        Accounts.base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The claims of a (verified) JWT as JSON values, for the configurable claims.
    static func payload(of token: String) throws -> [String: Any] {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { throw OIDCError("The sign-in token is not a JWT.") }
        var text = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw OIDCError("The sign-in token's claims cannot be read.") }
        return object
    }
}

/// The claims ragd checks itself (jwt-kit checks the signature and the audience).
struct IDToken: JWTIdentityToken {
    var issuer: IssuerClaim
    var subject: SubjectClaim
    var audience: AudienceClaim
    var expires: ExpirationClaim
    var nonce: String?

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", expires = "exp", nonce
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try expires.verifyNotExpired()
    }
}

/// A sign-in through the identity provider that failed, said for the person signing in.
public struct OIDCError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
