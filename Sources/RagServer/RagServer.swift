import Foundation
import Hummingbird
import Logging
import RagAssistant
import RagAudit
import RagInference
import RagStore

/// The HTTP side of the daemon: builds the router with every page and API.
///
/// Routes are grouped by who may use them: public (sign-in, static files, health), any
/// signed-in user (ask, history, documents, search), admins (sources, documents, jobs, users)
/// and auditors (the audit log, added by `auditRoutes`). Every group sits behind
/// `AuthenticationMiddleware` (identity, CSRF) and `RequireRole`.
public struct RagServer: Sendable {
    public let store: RagStore
    public let accounts: Accounts
    public let askService: AskService
    public let metrics: ServerMetrics
    public let configuration: ServerConfiguration
    public let audit: AuditLogRecorder?
    public let logger: Logger
    /// Names of the loaded models, for /readyz.
    public let modelNames: [String: String]
    /// Sign-in through the identity provider, when configured.
    public let oidc: OIDCProvider?
    /// Loads an embedding model file in-process (the daemon's loader): the admin page checks
    /// with it that a migration's new model loads before the migration starts. nil: the page
    /// cannot start migrations (`ragd reindex` still can).
    public var loadEmbeddingModel: ActiveEmbedding.Loader?
    let loginLimiter = RateLimiter(limit: 5, window: 300)
    /// Searches run a few at a time (each embeds the query); a bounded number wait, the rest
    /// get 503 + Retry-After instead of an ever longer queue.
    let searchGate = AnswerGate(maxRunning: 4, maxWaiting: 32, metrics: nil, retryAfterSeconds: 1)

    public init(store: RagStore, assistant: Assistant, configuration: ServerConfiguration = ServerConfiguration(),
                audit: AuditLogRecorder? = nil, oidc: OIDCProvider? = nil, logger: Logger = Logger(label: "ragd.server")) {
        self.store = store
        self.oidc = oidc
        self.accounts = Accounts(store: store, bcryptCost: configuration.bcryptCost, sessionHours: configuration.sessionHours)
        let metrics = ServerMetrics()
        metrics.setPrice(configuration.largeModelPricePer1kTokens)
        self.metrics = metrics
        self.askService = AskService(assistant: assistant, store: store, configuration: configuration, metrics: metrics,
                                     audit: audit, logger: logger)
        self.configuration = configuration
        self.audit = audit
        self.logger = logger
        self.modelNames = [
            "chat": assistant.smallModel.identifier, "embedding": assistant.retriever.embedder.identifier,
            "large": assistant.largeModel?.identifier ?? "",
        ]
    }

    /// The router with every route. Each group of signed-in routes converts the context to a
    /// `SignedInContext` after `RequireRole` has let the request through.
    public func buildRouter() -> Hummingbird.Router<RagRequestContext> {
        let router = Hummingbird.Router(context: RagRequestContext.self)
        // Outermost, so the pages of errors that later middleware throws get the headers too.
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: MetricsAndLogMiddleware(metrics: metrics))
        router.add(middleware: AuthenticationMiddleware(accounts: accounts, trustedHeader: configuration.trustedHeader))
        addPublicRoutes(to: router)
        addOIDCRoutes(to: router)
        let signedIn = router.group().add(middleware: RequireRole(.employee, .admin, .auditor)).group(context: SignedInContext.self)
        addAskRoutes(to: signedIn)
        addDocumentRoutes(to: signedIn)
        addAPIRoutes(to: signedIn)
        addOpenAIRoutes(to: signedIn)
        let admin = router.group().add(middleware: RequireRole(.admin)).group(context: SignedInContext.self)
        addAdminRoutes(to: admin)
        addAdminAPIRoutes(to: admin)
        addAnalyticsRoutes(to: admin)
        let monitoring = router.group().add(middleware: RequireRole(.admin, .auditor))
        monitoring.get("/metrics") { _, _ in
            var text = metrics.render(store: store, extra: [])
            if let head = try? audit?.log.head() {
                // The chain's head, so an outside system can keep it (label values are free text).
                text += """
                    # HELP ragd_audit_records Records in the audit log.
                    # TYPE ragd_audit_records gauge
                    ragd_audit_records \(head.count)
                    # HELP ragd_audit_head_id The audit chain's last record id; its SHA-256 is the hash label.
                    # TYPE ragd_audit_head_id gauge
                    ragd_audit_head_id{hash="\(head.hash)"} \(head.lastId)

                    """
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let auditors = router.group().add(middleware: RequireRole(.auditor)).group(context: SignedInContext.self)
        addAuditRoutes(to: auditors)
        return router
    }

    /// Records an admin action in the audit log (when one is configured).
    func recordAction(_ action: String, _ details: [String: String], context: SignedInContext) async {
        guard let audit else { return }
        do {
            try await audit.recordAction(action, details: details, identity: context.identity, clientAddress: context.clientAddress)
        } catch {
            logger.critical("audit record not written", metadata: ["action": "\(action)", "error": "\(error)"])
        }
    }
}
