import Crypto
import Foundation
import HummingbirdBcrypt
import RagCore
import RagStore
import Synchronization

/// Accounts, sign-in, sessions and API tokens: the one place that handles secrets.
///
/// Passwords are stored as bcrypt hashes; session cookies and API tokens are random 256-bit
/// values of which only the SHA-256 is stored. Hashing runs off Swift's cooperative threads
/// (bcrypt is deliberately slow).
public struct Accounts: Sendable {
    public let store: RagStore
    public let bcryptCost: UInt8
    public let sessionLifetime: TimeInterval

    public init(store: RagStore, bcryptCost: Int = 12, sessionHours: Double = 12) {
        self.store = store
        self.bcryptCost = UInt8(clamping: bcryptCost)
        self.sessionLifetime = sessionHours * 3600
    }

    /// Passwords shorter than this are refused.
    public static let minimumPasswordLength = 10

    /// Creates an account. - Throws: `AccountError` for a bad name or a short password,
    /// `StoreError(.conflict)` for a taken name.
    @discardableResult
    public func addUser(name: String, password: String?, role: Role, groups: [String]) async throws -> UserRecord {
        try Self.validate(name: name)
        let hash = try await password.asyncMap { try await hashPassword($0) }
        return try store.accounts.addUser(UserRecord(name: name, passwordHash: hash, role: role, groups: groups))
    }

    /// Sets a new password; the user's sessions end.
    public func setPassword(name: String, password: String) async throws {
        let hash = try await hashPassword(password)
        _ = try store.accounts.updateUser(name: name) { $0.passwordHash = hash }
    }

    /// The user, if the name and password match an enabled account. Takes as long for an
    /// unknown name as for a wrong password: the name is verified against a dummy hash of the
    /// configured cost.
    public func authenticate(name: String, password: String) async -> UserRecord? {
        let user = try? store.accounts.user(name: name)
        let stored = user?.passwordHash
        let cost = bcryptCost
        let matches = await offPool { Bcrypt.verify(password, hash: stored ?? Self.unknownUserHash(cost: cost)) }
        guard matches, let user, !user.disabled, user.passwordHash != nil else { return nil }
        return user
    }

    // MARK: Sessions

    /// Starts a session. - Returns: the cookie value and the session's CSRF token.
    public func startSession(for user: UserRecord) throws -> (cookie: String, csrfToken: String) {
        let cookie = Self.randomToken()
        let csrf = Self.randomToken()
        try store.accounts.createSession(
            tokenSHA256: Self.sha256(cookie), userId: user.id!, csrfToken: csrf,
            expiresAt: Date().addingTimeInterval(sessionLifetime))
        return (cookie, csrf)
    }

    public func session(cookie: String) throws -> (user: UserRecord, csrfToken: String)? {
        try store.accounts.session(tokenSHA256: Self.sha256(cookie))
    }

    public func endSession(cookie: String) throws {
        try store.accounts.deleteSession(tokenSHA256: Self.sha256(cookie))
    }

    // MARK: API tokens

    /// Issues an API token for programs. - Returns: the token, shown once (only its hash is kept).
    public func issueToken(for user: UserRecord, name: String) throws -> String {
        let token = "ragd_" + Self.randomToken()
        try store.accounts.addToken(tokenSHA256: Self.sha256(token), userId: user.id!, name: name)
        return token
    }

    public func user(token: String) throws -> UserRecord? {
        try store.accounts.user(tokenSHA256: Self.sha256(token))
    }

    // MARK: First admin

    /// When no admin exists, a one-time token (printed at start) lets the first visitor of
    /// /setup create one. - Returns: the new token, or nil when an admin exists.
    public func issueSetupTokenIfNeeded() throws -> String? {
        guard try !store.accounts.hasAdmin() else {
            try store.setMeta(Self.setupTokenKey, nil)
            return nil
        }
        let token = Self.randomToken()
        try store.setMeta(Self.setupTokenKey, Self.sha256(token))
        return token
    }

    /// Whether `token` is the current setup token (and no admin exists yet).
    public func isValidSetupToken(_ token: String) throws -> Bool {
        guard let stored = try store.meta(Self.setupTokenKey), try !store.accounts.hasAdmin() else { return false }
        return Self.constantTimeEqual(stored, Self.sha256(token))
    }

    public func consumeSetupToken() throws { try store.setMeta(Self.setupTokenKey, nil) }

    // MARK: Helpers

    static let setupTokenKey = "setup_token_sha256"
    /// A valid bcrypt hash of a random string at `cost`, verified against when the user is
    /// unknown (made once per cost, on first use).
    static func unknownUserHash(cost: UInt8) -> String {
        unknownUserHashes.withLock { hashes in
            if let hash = hashes[cost] { return hash }
            let hash = Bcrypt.hash(randomToken(), cost: cost)
            hashes[cost] = hash
            return hash
        }
    }

    private static let unknownUserHashes = Mutex<[UInt8: String]>([:])

    /// The characters of a user name.
    static let nameCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-@"))

    static func validate(name: String) throws {
        guard !name.isEmpty, name.count <= 64, name.unicodeScalars.allSatisfy(nameCharacters.contains) else {
            throw AccountError("A user name is 1–64 letters, digits, '.', '_', '-' or '@'.")
        }
    }

    func hashPassword(_ password: String) async throws -> String {
        guard password.count >= Self.minimumPasswordLength else {
            throw AccountError("A password needs at least \(Self.minimumPasswordLength) characters.")
        }
        let cost = bcryptCost
        return await offPool { Bcrypt.hash(password, cost: cost) }
    }

    /// 256 random bits, base64url without padding (cookie- and URL-safe).
    public static func randomToken() -> String {
        let key = SymmetricKey(size: .bits256)
        return base64URL(key.withUnsafeBytes { Data($0) })
    }

    /// Base64url without padding (RFC 4648 §5), as tokens, cookies and PKCE use it.
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A request about accounts that cannot be done as asked; the message says what to change.
public struct AccountError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs CPU-heavy work on a Dispatch thread so it does not hold a cooperative thread.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}

extension Optional {
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        switch self {
        case .some(let value): return try await transform(value)
        case .none: return nil
        }
    }
}
