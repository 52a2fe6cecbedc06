import Foundation
import GRDB

/// Accounts, sessions and API tokens, in the store's database (`RagStore.accounts`). Secrets
/// arrive here already hashed (RagServer hashes passwords with bcrypt and tokens with
/// SHA-256): the database never holds one in clear.
public struct AccountStore: Sendable {
    let writer: any DatabaseWriter

    /// Creates a user. - Throws: `StoreError(.conflict)` when the name is taken.
    @discardableResult
    public func addUser(_ user: UserRecord) throws -> UserRecord {
        try writer.write { db in
            if try UserRecord.filter(sql: "name = ? COLLATE NOCASE", arguments: [user.name]).fetchOne(db) != nil {
                throw StoreError(.conflict, "A user named \(user.name) exists already.")
            }
            var user = user
            try user.insert(db)
            return user
        }
    }

    public func user(name: String) throws -> UserRecord? {
        try writer.read { db in try UserRecord.filter(sql: "name = ? COLLATE NOCASE", arguments: [name]).fetchOne(db) }
    }

    public func user(id: Int64) throws -> UserRecord? {
        try writer.read { db in try UserRecord.fetchOne(db, key: id) }
    }

    public func users() throws -> [UserRecord] {
        try writer.read { db in try UserRecord.order(Column("name")).fetchAll(db) }
    }

    /// The account of a person the identity provider signed in, found by `subject` (issuer#sub)
    /// and brought up to date (display name, groups, and the role when `role` is given), or
    /// created on their first sign-in (no password: they sign in only through the provider).
    /// - Returns: the account, and whether it was created.
    /// - Throws: `StoreError(.conflict)` when `name` belongs to another account: a local
    ///   account is never taken over by a provider's sign-in.
    public func providerAccount(subject: String, name: String, displayName: String?, groups: [String], role: Role?) throws
        -> (user: UserRecord, created: Bool)
    {
        try writer.write { db in
            if var user = try UserRecord.filter(Column("oidc_subject") == subject).fetchOne(db) {
                user.displayName = displayName ?? user.displayName
                user.groups = GroupList.encode(groups)
                if let role { user.role = role }
                try user.update(db)
                return (user, false)
            }
            if try UserRecord.filter(sql: "name = ? COLLATE NOCASE", arguments: [name]).fetchOne(db) != nil {
                throw StoreError(.conflict, "An account named \(name) exists already in ragd and does not belong to this identity-provider "
                                 + "account. Ask an administrator to rename or remove it.")
            }
            var user = UserRecord(name: name, passwordHash: nil, role: role ?? .employee, groups: groups, displayName: displayName)
            user.oidcSubject = subject
            try user.insert(db)
            return (user, true)
        }
    }

    /// Every account's display name (disabled accounts too: their names still appear in
    /// documents), for redaction.
    public func displayNames() throws -> [String] {
        try writer.read { db in
            try String.fetchAll(db, sql: "SELECT display_name FROM user WHERE display_name IS NOT NULL AND display_name <> '' ORDER BY id")
        }
    }

    /// Whether any enabled admin exists (if not, the server offers a one-time setup link).
    public func hasAdmin() throws -> Bool {
        try writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE role = 'admin' AND disabled = 0)") ?? false
        }
    }

    /// Saves changes to a user. Disabling a user or changing their password ends their sessions.
    /// - Throws: `StoreError(.notFound)` for an unknown user.
    public func updateUser(name: String, _ change: (inout UserRecord) -> Void) throws -> UserRecord {
        try writer.write { db in
            guard var user = try UserRecord.filter(sql: "name = ? COLLATE NOCASE", arguments: [name]).fetchOne(db) else {
                throw StoreError(.notFound, "There is no user named \(name). `ragd user list` shows them.")
            }
            let before = user
            change(&user)
            try user.update(db)
            if user.disabled || user.passwordHash != before.passwordHash {
                try db.execute(sql: "DELETE FROM session WHERE user_id = ?", arguments: [user.id!])
            }
            if user.disabled {
                try db.execute(sql: "UPDATE api_token SET revoked = 1 WHERE user_id = ?", arguments: [user.id!])
            }
            return user
        }
    }

    // MARK: Sessions

    public func createSession(tokenSHA256: String, userId: Int64, csrfToken: String, expiresAt: Date) throws {
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO session(token_sha256, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [tokenSHA256, userId, csrfToken, Date(), expiresAt])
            // Expired sessions are swept whenever someone signs in.
            try db.execute(sql: "DELETE FROM session WHERE expires_at < ?", arguments: [Date()])
        }
    }

    /// The enabled user and CSRF token of a live session.
    public func session(tokenSHA256: String, now: Date = Date()) throws -> (user: UserRecord, csrfToken: String)? {
        try writer.read { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT user_id, csrf_token FROM session WHERE token_sha256 = ? AND expires_at > ?",
                arguments: [tokenSHA256, now]) else { return nil }
            guard let user = try UserRecord.fetchOne(db, key: row["user_id"] as Int64), !user.disabled else { return nil }
            return (user, row["csrf_token"])
        }
    }

    public func deleteSession(tokenSHA256: String) throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM session WHERE token_sha256 = ?", arguments: [tokenSHA256]) }
    }

    // MARK: API tokens

    public func addToken(tokenSHA256: String, userId: Int64, name: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO api_token(token_sha256, user_id, name, created_at) VALUES (?, ?, ?, ?)",
                arguments: [tokenSHA256, userId, name, Date()])
        }
    }

    /// The enabled user owning a live token (and notes its use).
    public func user(tokenSHA256: String) throws -> UserRecord? {
        try writer.write { db in
            guard let userId = try Int64.fetchOne(
                db, sql: "SELECT user_id FROM api_token WHERE token_sha256 = ? AND revoked = 0", arguments: [tokenSHA256])
            else { return nil }
            guard let user = try UserRecord.fetchOne(db, key: userId), !user.disabled else { return nil }
            try db.execute(sql: "UPDATE api_token SET last_used_at = ? WHERE token_sha256 = ?", arguments: [Date(), tokenSHA256])
            return user
        }
    }

    /// Revokes a user's tokens of that name. - Returns: how many.
    public func revokeTokens(userId: Int64, name: String) throws -> Int {
        try writer.write { db in
            try db.execute(sql: "UPDATE api_token SET revoked = 1 WHERE user_id = ? AND name = ? AND revoked = 0",
                           arguments: [userId, name])
            return db.changesCount
        }
    }
}
