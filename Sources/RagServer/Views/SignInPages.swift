import Foundation

/// The sign-in page (`login.mustache`). Its form carries a token that must match the
/// `ragd_login` cookie set with the page, so a sign-in cannot be posted from another site.
struct LoginPage: PageView {
    static let template = Template.login
    let title = "Sign in"
    let nav: Navigation? = nil
    let error: String?
    let loginToken: String
    /// Where to go after signing in: a local path (``RagServer/safeNext(_:)``).
    let next: String
    /// The password form is shown.
    let localAccounts: Bool
    /// The identity provider's button label, when sign-in through one is configured.
    let providerName: String?

    /// Where the identity provider's button leads, with the page to come back to.
    var providerLink: String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return "/auth/oidc/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: allowed) ?? "/")
    }
}

/// The first-admin page (`setup.mustache`), reached through the one-time setup link.
struct SetupPage: PageView {
    static let template = Template.setup
    let title = "Setup"
    let nav: Navigation? = nil
    let error: String?
    let token: String
    let minimumPasswordLength = Accounts.minimumPasswordLength
}

/// The page of an error a browser gets (`error.mustache`).
struct ErrorPage: PageView {
    static let template = Template.error
    let title: String
    let nav: Navigation? = nil
    let reason: String
    let message: String
}
