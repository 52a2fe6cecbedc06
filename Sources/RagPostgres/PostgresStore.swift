import Foundation
import Logging
import PostgresNIO
import RagStore

/// How a node reaches the shared PostgreSQL store and how it behaves among the other nodes.
public struct PostgresStoreConfiguration: Sendable {
    public var location: PostgresLocation
    /// This node's name in the shared tables (who claimed a job). Stable across restarts, so a
    /// restarted node puts its own interrupted jobs back at once; unique among the nodes.
    public var node: String
    /// How long a claimed job stays this node's without a renewal; after it, another node takes
    /// the job over. The worker renews it every third of this time while the job runs.
    public var jobLease: Duration
    /// Connections this node keeps to PostgreSQL at most.
    public var maxConnections: Int
    /// The embedding model whose vectors the store holds, and their length; fixed when the
    /// store first gets them (nil: the store is used without vectors, e.g. by the job queue).
    public var embedding: (model: String, dimensions: Int)?

    public init(location: PostgresLocation, node: String = ProcessInfo.processInfo.hostName,
                jobLease: Duration = .seconds(60), maxConnections: Int = 8,
                embedding: (model: String, dimensions: Int)? = nil) {
        self.location = location
        self.node = node
        self.jobLease = jobLease
        self.maxConnections = maxConnections
        self.embedding = embedding
    }
}

/// The store in PostgreSQL with pgvector, shared by every ragd node that names the same
/// database: the second implementation of RagStore's protocols (so far `IngestJobQueue`), and the
/// audit log's chain shared by all nodes (`PostgresAuditLog`).
///
/// One `PostgresStore` per process and database. It owns a connection pool (postgres-nio's
/// `PostgresClient`), which runs until `close()`. Opening it brings the schema up to date,
/// serialised among nodes that start at the same moment (`PostgresSchema`).
public final class PostgresStore: Sendable {
    public let configuration: PostgresStoreConfiguration
    let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>
    /// The re-ingest queue, shared by every node.
    public let jobs: PostgresJobQueue
    /// The audit log: one hash chain that every node appends to.
    public let audit: PostgresAuditLog
    /// Sources, documents, chunks, vectors and search.
    public let index: PostgresDocumentIndex

    /// Connects and migrates. - Throws: `StoreError(.open)` when PostgreSQL cannot be reached or
    ///   refuses the login, or pgvector is not installed; the message says which.
    public static func open(_ configuration: PostgresStoreConfiguration, logger: Logger = Logger(label: "ragd.postgres"))
        async throws -> PostgresStore
    {
        // One connection first: a wrong address, login or database fails here at once with the
        // server's reason (the pool would retry it quietly), and it brings the schema up to date.
        let location = configuration.location
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try location.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            throw StoreError.postgres(error, "Opening the PostgreSQL store", at: location)
        }
        let versions: PostgresVersions
        do {
            try await PostgresVersions.checkServer(connection, logger: logger, location: location)
            try await PostgresSchema.migrate(connection, logger: logger, location: location, embedding: configuration.embedding)
            versions = try await PostgresVersions.read(connection, logger: logger, location: location)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        return PostgresStore(configuration: configuration, versions: versions, logger: logger)
    }

    /// The server's and pgvector's versions, read when the store was opened.
    public let versions: PostgresVersions

    private init(configuration: PostgresStoreConfiguration, versions: PostgresVersions, logger: Logger) {
        self.configuration = configuration
        self.versions = versions
        self.logger = logger
        var options = PostgresClient.Configuration.Options()
        options.maximumConnections = configuration.maxConnections
        options.minimumConnections = 0
        var clientConfiguration = configuration.location.clientConfiguration
        clientConfiguration.options = options
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        self.client = client
        self.running = Task { await client.run() }
        self.jobs = PostgresJobQueue(client: client, logger: logger, node: configuration.node, lease: configuration.jobLease)
        self.audit = PostgresAuditLog(client: client, logger: logger)
        self.index = PostgresDocumentIndex(client: client, logger: logger, iterativeScans: versions.hasIterativeScans)
    }

    /// Closes the pool: queries still running fail, later ones too.
    public func close() async {
        running.cancel()
        await running.value
    }
}

/// Runs `body`, reporting a failure as a `StoreError` that says what was being done.
func reportingFailure<T: Sendable>(_ doing: String, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw StoreError.postgres(error, doing)
    }
}

extension StoreError {
    /// A PostgreSQL failure as the store reports it: what was being done, and the server's own
    /// message (never the query's values, which may be document text or questions).
    static func postgres(_ error: any Error, _ doing: String, at location: PostgresLocation? = nil) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError,
           let inner = error.closureError ?? error.beginError ?? error.commitError {
            return postgres(inner, doing, at: location)
        }
        guard let error = error as? PSQLError else { return StoreError(.open, "\(doing): \(error)") }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = info[.message] ?? "error \(state)"
            let hint = info[.hint].map { " (\($0))" } ?? ""
            // Unique violation, serialisation failure, lock not available: another node got there
            // first. Login, unknown database, connection: the store cannot be opened.
            let kind: Kind = state == "23505" || state == "40001" || state == "55P03" ? .conflict
                : state.hasPrefix("28") || state.hasPrefix("3D") || state.hasPrefix("08") ? .open : .invalid
            return StoreError(kind, "\(doing): PostgreSQL says \(message)\(hint) [\(state)]")
        }
        let place = location.map { " at \($0)" } ?? ""
        return StoreError(.open, "\(doing): cannot reach PostgreSQL\(place) (\(error.code)).")
    }
}

/// What ragd needs of the server: PostgreSQL 15 or later, pgvector 0.7 or later (0.8 adds
/// iterative index scans, which keep a filtered HNSW search from coming back short).
public struct PostgresVersions: Sendable, Equatable {
    /// `server_version_num`, e.g. 180003.
    public var server: Int
    /// pgvector's version, e.g. "0.8.2".
    public var pgvector: String

    public init(server: Int, pgvector: String) {
        self.server = server
        self.pgvector = pgvector
    }

    public static let minimumServer = 150_000
    public static let minimumPgvector = [0, 7]

    public var hasIterativeScans: Bool { Self.parts(pgvector).lexicographicallyPrecedes([0, 8]) == false }

    static func parts(_ version: String) -> [Int] {
        version.split(separator: ".").map { Int($0) ?? 0 }
    }

    static func checkServer(_ connection: PostgresConnection, logger: Logger, location: PostgresLocation) async throws {
        var number = 0
        for try await value in try await connection.query("SELECT current_setting('server_version_num')::int", logger: logger)
            .decode(Int.self) { number = value }
        guard number >= minimumServer else {
            throw StoreError(.open, "\(location) runs PostgreSQL \(number / 10_000); ragd needs 15 or later.")
        }
    }

    static func read(_ connection: PostgresConnection, logger: Logger, location: PostgresLocation) async throws
        -> PostgresVersions
    {
        var versions = PostgresVersions(server: 0, pgvector: "")
        for try await (server, vector) in try await connection.query("""
            SELECT current_setting('server_version_num')::int, (SELECT extversion FROM pg_extension WHERE extname = 'vector')
            """, logger: logger).decode((Int, String?).self) {
            versions = PostgresVersions(server: server, pgvector: vector ?? "")
        }
        guard !versions.pgvector.isEmpty, !parts(versions.pgvector).lexicographicallyPrecedes(minimumPgvector) else {
            throw StoreError(.open, "\(location) has pgvector \(versions.pgvector.isEmpty ? "not installed" : versions.pgvector); "
                + "ragd needs 0.7 or later (CREATE EXTENSION vector, as a superuser).")
        }
        return versions
    }
}
