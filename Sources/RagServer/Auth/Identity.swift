import RagStore

/// Who is asking: resolved from a session cookie, an API token or a trusted proxy header.
public struct Identity: Sendable, Equatable {
    public enum Method: Sendable, Equatable {
        /// A browser session; unsafe requests must carry this CSRF token.
        case session(csrfToken: String)
        case apiToken
        case trustedHeader
    }

    public var userId: Int64
    public var name: String
    public var role: Role
    public var groups: [String]
    public var method: Method

    public init(user: UserRecord, method: Method) {
        self.userId = user.id!
        self.name = user.name
        self.role = user.role
        self.groups = user.groupList
        self.method = method
    }

    /// What this person may read: documents open to all, and those of their groups. Roles
    /// grant no reading: an admin sees only what their groups allow.
    public var access: AccessFilter { .groups(Set(groups)) }

    public var csrfToken: String? {
        if case .session(let token) = method { return token }
        return nil
    }
}
