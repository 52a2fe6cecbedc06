import Foundation
import NIOSSL
import PostgresNIO
import RagStore

/// Where the PostgreSQL store lives, from a libpq-style URL:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|require|verify-full]`.
///
/// `sslmode` defaults to `disable` on a loopback host and to `verify-full` anywhere else, so a
/// database across the network is never reached in the clear unless the admin writes so. The
/// password is never part of `description` (it goes into logs and error messages).
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, require, verifyFull = "verify-full" }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// - Throws: `StoreError(.invalid)` naming what is wrong with the URL.
    public init(url: String) throws {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme,
              scheme == "postgres" || scheme == "postgresql"
        else {
            throw StoreError(.invalid, "The PostgreSQL store's URL must look like postgres://USER@HOST:PORT/DATABASE.")
        }
        guard let host = parts.host, !host.isEmpty else {
            throw StoreError(.invalid, "The PostgreSQL store's URL names no host.")
        }
        guard let username = parts.user, !username.isEmpty else {
            throw StoreError(.invalid, "The PostgreSQL store's URL names no user (postgres://USER@\(host)/…).")
        }
        let database = String(parts.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw StoreError(.invalid, "The PostgreSQL store's URL names no database (postgres://…@\(host)/DATABASE).")
        }
        self.host = host
        self.port = parts.port ?? 5432
        self.username = username.removingPercentEncoding ?? username
        self.password = parts.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
        let mode = parts.queryItems?.first { $0.name == "sslmode" }?.value
        switch mode {
        case nil: self.tls = loopback ? .disable : .verifyFull
        case let mode?:
            guard let tls = TLSMode(rawValue: mode) else {
                throw StoreError(.invalid, "sslmode=\(mode) is not one of disable, require, verify-full.")
            }
            self.tls = tls
        }
    }

    /// The URL without its password.
    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    /// The TLS settings `sslmode` asks for (nil: none).
    private var tlsConfiguration: TLSConfiguration? {
        switch tls {
        case .disable: return nil
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return configuration
        case .verifyFull: return .makeClientConfiguration()
        }
    }

    /// For the pool every node keeps.
    var clientConfiguration: PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: tlsConfiguration.map { .require($0) } ?? .disable)
    }

    /// For one connection (the first, which checks the login and migrates).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: try tlsConfiguration.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
