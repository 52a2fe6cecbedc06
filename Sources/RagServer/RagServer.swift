import Foundation
import Hummingbird
import Logging
import RagAssistant
import RagAudit
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
    let loginLimiter = RateLimiter(limit: 5, window: 300)

    public init(store: RagStore, assistant: Assistant, configuration: ServerConfiguration = ServerConfiguration(),
                audit: AuditLogRecorder? = nil, logger: Logger = Logger(label: "ragd.server")) {
        self.store = store
        self.accounts = Accounts(store: store, bcryptCost: configuration.bcryptCost, sessionHours: configuration.sessionHours)
        let metrics = ServerMetrics()
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

    /// The router with every route. `extraRoutes` lets the daemon add groups (the audit pages)
    /// behind the same authentication.
    public func buildRouter(extraRoutes: (RouterGroup<RagRequestContext>) -> Void = { _ in }) -> Hummingbird.Router<RagRequestContext> {
        let router = Hummingbird.Router(context: RagRequestContext.self)
        router.add(middleware: MetricsAndLogMiddleware(metrics: metrics))
        router.add(middleware: AuthenticationMiddleware(accounts: accounts, trustedHeader: configuration.trustedHeader))
        addPublicRoutes(to: router)
        let signedIn = router.group().add(middleware: RequireRole(.employee, .admin, .auditor))
        addAskRoutes(to: signedIn)
        addDocumentRoutes(to: signedIn)
        addAPIRoutes(to: signedIn)
        addOpenAIRoutes(to: signedIn)
        let admin = router.group().add(middleware: RequireRole(.admin))
        addAdminRoutes(to: admin)
        addAdminAPIRoutes(to: admin)
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
        let auditors = router.group().add(middleware: RequireRole(.auditor))
        addAuditRoutes(to: auditors)
        extraRoutes(router.group())
        return router
    }

    /// Records an admin action in the audit log (when one is configured).
    func recordAction(_ action: String, _ details: [String: String], context: RagRequestContext) async {
        guard let audit, let identity = context.identity else { return }
        do {
            try await audit.recordAction(action, details: details, identity: identity, clientAddress: context.clientAddress)
        } catch {
            logger.critical("audit record not written", metadata: ["action": "\(action)", "error": "\(error)"])
        }
    }
}
