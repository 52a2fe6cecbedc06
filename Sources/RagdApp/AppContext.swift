import Foundation
import Logging
import RagAssistant
import RagInference
import RagStore

/// The models, the database and the assistant, assembled from the configuration.
/// The only place that turns configuration into running parts.
public struct AppContext {
    public let configuration: RagdConfiguration
    public let embedder: LlamaEmbeddingModel
    public let store: RagStore
    /// The model of the active vector index, followed through embedding-model migrations.
    public let embeddings: ActiveEmbedding

    /// Loads the embedding model and opens the database.
    /// - Parameter verbose: pass llama.cpp's own log messages through.
    public init(configuration: RagdConfiguration, verbose: Bool = false) throws {
        self.configuration = configuration
        LlamaBackend.initialize(logLevel: verbose ? .verbose : .errors)
        embedder = try LlamaEmbeddingModel(configuration: configuration.embeddingConfiguration)
        let store = try configuration.openStore(embedder: embedder)
        self.store = store
        embeddings = ActiveEmbedding(
            model: embedder, generation: store.openedIndex.generation,
            activeIndex: {
                let active = try store.activeVectorIndex()
                return (active.generation, active.model, active.modelPath)
            },
            load: configuration.loadEmbeddingModel)
    }

    /// The supervised llama-server of `large_model.launch`, not started yet; nil when ragd
    /// launches no larger model. `ragd serve` runs it in its ServiceGroup.
    public func largeModelServer(logger: Logger = Logger(label: "ragd.llama-server")) -> LlamaServerProcess? {
        configuration.llamaServerConfiguration.map { LlamaServerProcess(configuration: $0, logger: logger) }
    }

    /// For one-shot commands (`ragd ask`, `ragd eval`): starts the launched llama-server and
    /// waits until it is ready. Returns nil when ragd launches no larger model, or when a
    /// llama-server serving the same model already answers on the configured port (`ragd
    /// serve`'s, typically): then that one is used. The caller stops what it gets with
    /// `await server?.stop()` when the command ends (were it to exit without, the child gets
    /// SIGTERM as ragd exits). See `withLargeModelIfLaunched` for the scoped form.
    public func startLargeModelIfLaunched() async throws -> LlamaServerProcess? {
        guard let server = largeModelServer() else { return nil }
        let c = server.configuration
        if LlamaServerProcess.isPortInUse(c.port), await LlamaServerProcess.servesModel(named: c.modelName, port: c.port) {
            Logger(label: "ragd.llama-server").notice(
                "using the llama-server already running", metadata: ["model": "\(c.modelName)", "url": "\(c.baseURL)"])
            return nil
        }
        try await server.start()
        do {
            try await server.waitUntilReady()
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    /// Runs `body` with the launched larger model up (see `startLargeModelIfLaunched`), and
    /// stops it afterwards, also when `body` throws.
    public func withLargeModelIfLaunched<T>(_ body: () async throws -> T) async throws -> T {
        let server = try await startLargeModelIfLaunched()
        do {
            let result = try await body()
            await server?.stop()
            return result
        } catch {
            await server?.stop()
            throw error
        }
    }

    /// The assistant with the in-process small model and, if configured, the larger model
    /// (for a launched llama-server, `large_model.url` is its loopback address: start it with
    /// `startLargeModelIfLaunched()`, or in `ragd serve`'s ServiceGroup).
    public func assistant() throws -> Assistant {
        let small = try LlamaChatModel(configuration: configuration.chatConfiguration)
        var large: (any ChatModel)?
        if let l = configuration.largeModel {
            // No egress: refuse to start with an endpoint outside the network (unless allowed),
            // and connect only to the address that was checked.
            let key = l.apiKeyEnvironment.flatMap { ProcessInfo.processInfo.environment[$0] }
            let endpoint = try EndpointPolicy.pinned(
                RemoteEndpoint(baseURL: l.url, model: l.model, apiKey: key), allowPublic: l.allowPublicEndpoint)
            large = RemoteChatModel(endpoint: endpoint, contextLength: l.context)
            // Nothing personal leaves the process: the larger model sees placeholders.
            let redaction = configuration.redaction
            if redaction.enabled, let remote = large {
                large = RedactingChatModel(remote, redactors: RedactorSource(
                    store: store, kinds: redaction.kinds, patterns: try redaction.customPatterns(), names: redaction.names))
            }
        }
        var assistant = Assistant(
            retriever: Retriever(store: store, embedder: embedder), smallModel: small, largeModel: large,
            policy: configuration.routing)
        assistant.embeddings = embeddings
        let settings = configuration.conversations
        assistant.rewriter = QueryRewriter(
            strategy: settings.queryRewrite, model: small, timeout: .milliseconds(settings.rewriteTimeoutMilliseconds),
            limits: settings.limits)
        return assistant
    }
}

extension AppContext {
    /// Adds the sources the configuration lists and sets their name, groups, escalation policy
    /// and sync schedule where they differ (`RagdConfiguration.SourceSettings`). Sources the
    /// file does not list are left alone.
    /// - Returns: one entry per source added or changed, for the log and the audit log.
    public func applyConfiguredSources() throws -> [(action: String, details: [String: String])] {
        var changes: [(String, [String: String])] = []
        for wanted in configuration.sources {
            let existing = try store.sources().first { $0.source.root == wanted.root }?.source
            var changed: [String] = []
            let name = wanted.name ?? existing?.name ?? (wanted.root as NSString).lastPathComponent
            if existing == nil || existing?.name != name || existing?.groups != GroupList.encode(wanted.groups) {
                try store.addSource(root: wanted.root, name: name, groups: wanted.groups)
                changed.append(existing == nil ? "added" : "name/groups")
            }
            guard let source = try store.sources().first(where: { $0.source.root == wanted.root })?.source,
                  let id = source.id else { continue }
            if source.onPremOnly != wanted.onPremOnly {
                try store.setSourceOnPremOnly(id: id, wanted.onPremOnly)
                changed.append("escalation")
            }
            if source.syncSeconds != wanted.syncSeconds || source.syncDailyAt != wanted.syncDailyAt
                || source.syncOnChange != wanted.syncOnChange {
                try store.setSourceSync(id: id, seconds: wanted.syncSeconds, dailyAt: wanted.syncDailyAt,
                                        onChange: wanted.syncOnChange)
                changed.append("sync")
            }
            guard !changed.isEmpty else { continue }
            changes.append(("source.config", [
                "source": wanted.root, "source_id": String(id), "changed": changed.joined(separator: ","),
                "groups": wanted.groups.joined(separator: ","), "on_prem_only": String(wanted.onPremOnly),
                "every_seconds": wanted.syncSeconds.map(String.init) ?? "off", "daily_at": wanted.syncDailyAt ?? "",
                "on_change": String(wanted.syncOnChange),
            ]))
        }
        return changes
    }
}
