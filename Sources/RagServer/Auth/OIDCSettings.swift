/// Sign-in through the company's OpenID Connect identity provider (Keycloak, Entra ID, Okta,
/// ADFS …): the authorization code flow with PKCE, state and nonce.
public struct OIDCSettings: Sendable, Equatable, Codable {
    /// The issuer URL; its `/.well-known/openid-configuration` names the other endpoints.
    public var issuer: String
    public var clientId: String
    /// The client secret (read from `client_secret_env` or `client_secret_file`, never from
    /// the configuration file itself); nil for a public client.
    public var clientSecret: String?
    /// This server's callback as the provider knows it: `https://ragd.example.com/auth/oidc/callback`.
    public var redirectURL: String
    public var scopes = ["openid", "profile", "email"]
    /// The claim that names the account (then `email`, then `sub`).
    public var usernameClaim = "preferred_username"
    /// The claim holding the user's groups (a list of names, or one name); they become the
    /// account's ragd groups at every sign-in.
    public var groupsClaim = "groups"
    /// Roles granted by group: `admin: ragd-admins`, `auditor: ragd-auditors` (everyone else is
    /// an employee). Empty: new accounts are employees and existing roles are kept.
    public var roleGroups: [String: String] = [:]
    /// The button's label: "Sign in with …".
    public var providerName = "your company account"
    /// The issuer may resolve outside loopback and private ranges (a cloud provider such as
    /// Entra ID). Off by default, as for model endpoints.
    public var allowPublicIssuer = false

    public init(issuer: String, clientId: String, clientSecret: String?, redirectURL: String) {
        self.issuer = issuer
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.redirectURL = redirectURL
    }
}
