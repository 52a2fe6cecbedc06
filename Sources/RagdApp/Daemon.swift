import Foundation
import Hummingbird
import Logging
import RagAssistant
import RagAudit
import RagInference
import RagIngest
import RagServer
import RagStore

/// The daemon's request side, assembled in one place: the audit log and its recorder, the
/// server with its accounts and routes, and the HTTP application. `ragd serve` runs it over
/// the configured database and models; the server tests' fixture over its own.
public struct Daemon: Sendable {
    public let server: RagServer
    public let auditLog: AuditLog

    /// - Parameters:
    ///   - auditPath: the audit log's SQLite file (opened, or created).
    ///   - modelHashes: SHA-256 of each model file by the model name answers are recorded with.
    ///   - loadEmbeddingModel: loads an embedding model file, for migrations started on the admin page.
    public init(store: RagStore, assistant: Assistant, configuration: ServerConfiguration, auditPath: String,
                modelHashes: [String: String], loadEmbeddingModel: ActiveEmbedding.Loader? = nil,
                logger: Logger = Logger(label: "ragd.server")) throws {
        auditLog = try AuditLog(path: auditPath)
        let recorder = AuditLogRecorder(log: auditLog, modelHashes: modelHashes)
        // The identity provider's issuer must pass the no-egress policy before ragd starts.
        let oidc = try configuration.oidc.map { try OIDCProvider(settings: $0) }
        var server = RagServer(store: store, assistant: assistant, configuration: configuration, audit: recorder, oidc: oidc,
                               logger: logger)
        server.loadEmbeddingModel = loadEmbeddingModel
        self.server = server
    }

    /// The HTTP application on `server.configuration`'s address (port 0 picks a free one).
    /// - Parameter onServerRunning: called with the bound port once it listens.
    public func application(logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        let configuration = server.configuration
        return Application(
            router: server.buildRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ragd"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}

extension AppContext {
    /// SHA-256 of the in-process models' files and of the launched larger model's, by the
    /// model name the audit log records answers with.
    public func modelHashes() throws -> [String: String] {
        var hashes: [String: String] = [:]
        for path in [configuration.models.chat, configuration.models.embedding] {
            hashes[(path as NSString).lastPathComponent] = try FileHasher.sha256(path: path).hex
        }
        if let large = configuration.largeModel, let launch = large.launch {
            hashes[large.model] = try FileHasher.sha256(path: launch.model).hex
        }
        return hashes
    }

    /// The daemon over this context's database and models, with `server` as its address and limits.
    public func daemon(server: ServerConfiguration, logger: Logger = Logger(label: "ragd.server")) throws -> Daemon {
        var server = server
        server.largeModelPricePer1kTokens = configuration.largeModel?.pricePer1kTokens ?? 0
        return try Daemon(store: store, assistant: try assistant(), configuration: server,
                          auditPath: configuration.auditDatabasePath, modelHashes: try modelHashes(),
                          loadEmbeddingModel: configuration.loadEmbeddingModel, logger: logger)
    }
}
