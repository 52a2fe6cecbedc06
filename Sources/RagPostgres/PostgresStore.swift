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
        do {
            try await PostgresSchema.migrate(connection, logger: logger, location: location, embedding: configuration.embedding)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        return PostgresStore(configuration: configuration, logger: logger)
    }

    private init(configuration: PostgresStoreConfiguration, logger: Logger) {
        self.configuration = configuration
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
        self.index = PostgresDocumentIndex(client: client, logger: logger)
    }

    /// Closes the pool: queries still running fail, later ones too.
    public func close() async {
        running.cancel()
        await running.value
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
