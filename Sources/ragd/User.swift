import ArgumentParser
import Foundation
import RagdApp
import RagServer
import RagStore

/// `ragd user …`: local accounts and API tokens.
struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage accounts: add, passwd, disable, enable, set, token, list.",
        discussion: """
            Roles: employee (asks questions), admin (sources, re-ingest, users), auditor (the audit \
            log). Groups decide which restricted sources a user may read. Passwords are read from \
            the terminal without echo, or from standard input with --password-stdin.
            """,
        subcommands: [Add.self, Passwd.self, Disable.self, Enable.self, Set.self, Token.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "User name (letters, digits, . _ - @).") var name: String
        @Option(help: "employee, admin or auditor.") var role: Role = .employee
        @Option(help: "Comma-separated groups.") var groups: String = ""
        @Option(help: ArgumentHelp(
            "The person's name as documents write it (\"Alice Example\"); redacted from what goes to the larger model.",
            valueName: "name"))
        var displayName: String?
        @Flag(help: "Read the password from standard input (one line).") var passwordStdin = false

        func run() async throws {
            let accounts = try UserCommands.accounts(global)
            let password = try UserCommands.readPassword(stdin: passwordStdin, confirm: true)
            var user = try await UserCommands.mapErrors {
                try await accounts.addUser(name: name, password: password, role: role, groups: GroupList.parse(groups))
            }
            if let displayName {
                user = try accounts.store.accounts.updateUser(name: user.name) { $0.displayName = displayName }
            }
            try await CommandLineAudit.record(global, "user.add", ["name": user.name, "role": user.role.rawValue,
                                                                   "groups": user.groupList.joined(separator: ",")])
            print("Added \(user.name) (\(user.role.rawValue)\(user.groupList.isEmpty ? "" : ", groups " + user.groupList.joined(separator: ", "))).")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a new password (ends the user's sessions).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Flag(help: "Read the password from standard input (one line).") var passwordStdin = false

        func run() async throws {
            let accounts = try UserCommands.accounts(global)
            let password = try UserCommands.readPassword(stdin: passwordStdin, confirm: true)
            try await UserCommands.mapErrors { try await accounts.setPassword(name: name, password: password) }
            try await CommandLineAudit.record(global, "user.passwd", ["name": name])
            print("Password changed for \(name).")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: sessions end, API tokens are revoked.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws {
            let accounts = try UserCommands.accounts(global)
            _ = try await UserCommands.mapErrors { try accounts.store.accounts.updateUser(name: name) { $0.disabled = true } }
            try await CommandLineAudit.record(global, "user.disable", ["name": name])
            print("Disabled \(name).")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account (its old tokens stay revoked).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws {
            let accounts = try UserCommands.accounts(global)
            _ = try await UserCommands.mapErrors { try accounts.store.accounts.updateUser(name: name) { $0.disabled = false } }
            try await CommandLineAudit.record(global, "user.enable", ["name": name])
            print("Enabled \(name).")
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's role, groups or display name.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(help: "employee, admin or auditor.") var role: Role?
        @Option(help: "Comma-separated groups (replaces the current ones; \"\" for none).") var groups: String?
        @Option(help: ArgumentHelp(
            "The person's name as documents write it (\"\" to remove); redacted from what goes to the larger model.",
            valueName: "name"))
        var displayName: String?
        func run() async throws {
            let accounts = try UserCommands.accounts(global)
            let user = try await UserCommands.mapErrors {
                try accounts.store.accounts.updateUser(name: name) { user in
                    if let role { user.role = role }
                    if let groups { user.groups = GroupList.encode(GroupList.parse(groups)) }
                    if let displayName { user.displayName = displayName.isEmpty ? nil : displayName }
                }
            }
            try await CommandLineAudit.record(global, "user.set", ["name": user.name, "role": user.role.rawValue,
                                                                   "groups": user.groupList.joined(separator: ",")])
            print("\(user.name): \(user.role.rawValue), groups \(user.groupList.isEmpty ? "(none)" : user.groupList.joined(separator: ", ")).")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue an API token for programs (printed once), or revoke one with --revoke.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(help: "A label for the token.") var label: String = "cli"
        @Flag(help: "Revoke the user's tokens with this label instead.") var revoke = false
        func run() async throws {
            let accounts = try UserCommands.accounts(global)
            guard let user = try accounts.store.accounts.user(name: name) else {
                throw ValidationError("There is no user named \(name). `ragd user list` shows them.")
            }
            try await CommandLineAudit.record(global, revoke ? "token.revoke" : "token.issue", ["name": name, "label": label])
            if revoke {
                print("Revoked \(try accounts.store.accounts.revokeTokens(userId: user.id!, name: label)) token(s).")
            } else {
                print(try accounts.issueToken(for: user, name: label))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let accounts = try UserCommands.accounts(global)
            for user in try accounts.store.accounts.users() {
                print("\(user.name)\t\(user.displayName ?? "")\t\(user.role.rawValue)\t\(user.groupList.joined(separator: ","))\t\(user.disabled ? "disabled" : "active")")
            }
        }
    }
}

extension Role: ExpressibleByArgument {}

enum UserCommands {
    static func accounts(_ global: GlobalOptions) throws -> Accounts {
        let context = try AppContext(global)
        return Accounts(store: context.store, bcryptCost: context.configuration.server.bcryptCost)
    }

    static func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as AccountError {
            throw ValidationError(error.description)
        } catch let error as StoreError {
            throw ValidationError(error.description)
        }
    }

    static func readPassword(stdin: Bool, confirm: Bool) throws -> String {
        if stdin || isatty(STDIN_FILENO) == 0 {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("No password on standard input.")
            }
            return line
        }
        guard let first = getpass("Password: ").map({ String(cString: $0) }) else { throw ValidationError("No password given.") }
        if confirm {
            guard let second = getpass("Password again: ").map({ String(cString: $0) }), second == first else {
                throw ValidationError("The two passwords differ.")
            }
        }
        return first
    }
}
