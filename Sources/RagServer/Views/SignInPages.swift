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
