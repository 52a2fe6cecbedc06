import ArgumentParser
import Foundation
import RagAudit
import Logging
import RagIngest
import RagInference
import RagServer
import RagdApp
import ServiceLifecycle

/// `ragd serve`: the daemon.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the daemon: the web form, the JSON and OpenAI-compatible APIs, admin pages and the ingest worker.",
        discussion: """
            Binds to 127.0.0.1:8080 unless the configuration's server section, RAGD_HOST / RAGD_PORT \
            or --host / --port say otherwise (put a TLS reverse proxy in front; see deploy/). On the \
            first start without an admin account, ragd prints a one-time link to create one. \
            SIGTERM or SIGINT stop it gracefully: answers in flight finish, the ingest job in hand \
            finishes its current file and resumes at the next start. When large_model.launch is \
            configured (the default once `make setup` has built llama-server and the 1.5B model), \
            ragd starts llama-server on loopback first, waits until it is ready, restarts it if it \
            crashes and stops it last; its log is llama-server.log beside the database.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Address to bind (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default 8080; 0 picks a free one).")
    var port: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ragd")
        let context = try AppContext(global, host: host, port: port)

        // The larger model loads in its own process (seconds) while ragd loads its own models.
        let largeModelServer = context.largeModelServer()
        try await largeModelServer?.start()
        do {
            try await serve(context, largeModelServer: largeModelServer, logger: logger)
        } catch {
            await largeModelServer?.stop()
            throw error
        }
    }

    private func serve(_ context: AppContext, largeModelServer: LlamaServerProcess?, logger: Logger) async throws {
        let serverConfiguration = context.configuration.server
        // Every question and admin action goes to the audit log, with the model files' hashes.
        let daemon = try context.daemon(server: serverConfiguration)
        // Read the vectors' binary codes into memory now (seconds for a million chunks), not
        // during the first question.
        let store = context.store
        Task.detached(priority: .utility) {
            do { try store.loadVectorIndex() } catch { logger.warning("vector index: \(error)") }
        }
        // Sources listed in the configuration file: added, or set back to what the file says.
        for change in try context.applyConfiguredSources() {
            _ = try await daemon.auditLog.append(AuditEvent(
                kind: .admin, actor: AuditActor(userId: nil, name: "configuration file", role: "config", groups: []),
                channel: "config", action: change.action, details: change.details))
            logger.notice("source configured", metadata: [
                "source": "\(change.details["source"] ?? "")", "changed": "\(change.details["changed"] ?? "")"])
        }
        let setupToken = try daemon.server.accounts.issueSetupTokenIfNeeded()
        let largeModelLine = context.configuration.largeModel.map { large in
            "Larger model: \(large.model) at \(large.url)"
                + (large.launch != nil ? " (llama-server started by ragd, log \(largeModelServer?.configuration.logPath ?? "?"))" : "")
        }
        let hostForLinks = serverConfiguration.host == "0.0.0.0" || serverConfiguration.host == "::" ? "localhost" : serverConfiguration.host
        let app = daemon.application(logger: logger) { port in
            let base = "http://\(hostForLinks):\(port)"
            var lines = ["", "ragd is ready at \(base)/"]
            if let largeModelLine { lines.append(largeModelLine) }
            if let setupToken {
                lines.append("First start: create the admin account at \(base)/setup?token=\(setupToken)")
                lines.append("(or on the command line: ragd user add NAME --role admin)")
            } else {
                lines.append("Sign in with your account; admins add users at \(base)/admin or with `ragd user add`.")
            }
            lines.append("Stop with Ctrl-C.")
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        var pipeline = IngestPipeline(
            store: context.store, embedder: context.embedder, extractor: context.configuration.ingest.extractor)
        pipeline.force = false
        pipeline.embeddings = context.embeddings
        let worker = IngestJobWorker(pipeline: pipeline)
        // An embedding-model migration (started on the admin page, or left by a stopped
        // `ragd reindex`) runs here while questions are answered from the active index.
        let migrations = EmbeddingMigrationService(
            store: context.store, embeddings: context.embeddings, load: context.configuration.loadEmbeddingModel)
        // Sources with a sync interval get a re-ingest job queued when it is due.
        let scheduler = SourceSyncScheduler(store: context.store,
                                            checkInterval: .seconds(context.configuration.ingest.syncCheckSeconds))
        // The web app opens once the larger model answers, so that "ready" means ready.
        if let largeModelServer {
            logger.notice("waiting for the larger model to load", metadata: ["model": "\(largeModelServer.configuration.modelName)"])
            try await largeModelServer.waitUntilReady()
        }
        // Started in order, stopped in reverse: the server stops first (answers in flight
        // finish), then the ingest worker (the file in hand finishes), then llama-server.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: worker), .init(service: scheduler), .init(service: migrations), .init(service: app),
        ]
        if let largeModelServer { services.insert(.init(service: largeModelServer), at: 0) }
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
