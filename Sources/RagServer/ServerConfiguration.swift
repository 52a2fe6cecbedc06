import Foundation

/// How the HTTP side behaves. Every field has a safe default: loopback only, no proxy trust.
public struct ServerConfiguration: Sendable, Equatable, Codable {
    /// Address to bind. Loopback by default: expose ragd through the TLS reverse proxy.
    public var host = "127.0.0.1"
    public var port = 8080
    /// Mark cookies Secure. Turn on when users reach ragd over HTTPS (the proxy terminates TLS).
    public var secureCookies = false
    /// How long a sign-in lasts.
    public var sessionHours = 12.0
    /// bcrypt cost for new passwords (2^cost rounds). 12 takes about a quarter second.
    public var bcryptCost = 12
    /// Answers generated at once; more wait in line. The in-process model decodes up to
    /// `models.chat_parallel` replies in one batch, so the default matches its default.
    public var maxConcurrentAnswers = 4
    /// Askers allowed to wait; beyond that ragd answers 503 with Retry-After.
    public var maxWaitingAnswers = 32
    /// Questions one user may ask per minute (429 beyond).
    public var questionsPerMinute = 20
    /// Sign-in through a header set by an authenticating reverse proxy; nil (off) by default.
    public var trustedHeader: TrustedHeader?
    /// Sign-in through the company's OpenID Connect provider; nil (off) by default.
    public var oidc: OIDCSettings?
    /// Whether accounts may sign in with a ragd password. Turn off once everyone signs in
    /// through the identity provider (API tokens keep working).
    public var localAccounts = true
    /// What the larger tier costs per 1,000 tokens (read plus written), in whatever currency
    /// the admin thinks in; 0 for an on-prem server. The in-process model costs nothing here.
    /// Shown as estimated cost per route on /metrics and the analytics page.
    public var largeModelPricePer1kTokens = 0.0

    /// Trusted-header sign-in: the proxy authenticates and names the user in a header.
    public struct TrustedHeader: Sendable, Equatable, Codable {
        /// Header carrying the user name, e.g. X-Remote-User.
        public var userHeader: String
        /// Optional header carrying comma-separated groups (replaces the account's groups).
        public var groupsHeader: String?
        /// Peer addresses allowed to set these headers (the proxy); requests from anywhere
        /// else have the headers ignored.
        public var trustedProxies: [String]
        public init(userHeader: String, groupsHeader: String? = nil, trustedProxies: [String] = ["127.0.0.1", "::1"]) {
            self.userHeader = userHeader
            self.groupsHeader = groupsHeader
            self.trustedProxies = trustedProxies
        }
    }

    public init() {}
}
