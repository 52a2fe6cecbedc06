import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus who is asking and from where.
public struct RagRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthenticationMiddleware` when the request carries valid credentials.
    public var identity: Identity?
    /// The peer's IP address (the proxy's, behind a reverse proxy).
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The maximum request body: questions and forms are small.
    public var maxUploadSize: Int { 256 * 1024 }
}

/// The context of the routes only signed-in users reach (behind `RequireRole`): the identity is
/// known, so handlers read it without unwrapping.
public struct SignedInContext: ChildRequestContext {
    public typealias ParentContext = RagRequestContext
    public var coreContext: CoreRequestContextStorage
    public let identity: Identity
    public let clientAddress: String?

    /// - Throws: `ServerError(.unauthorized)` when the request carries no valid credentials
    ///   (`RequireRole` answers such requests before they get here).
    public init(context: RagRequestContext) throws {
        guard let identity = context.identity else {
            throw ServerError(.unauthorized, "Sign in first, or send an API token: Authorization: Bearer <token>.")
        }
        self.coreContext = context.coreContext
        self.identity = identity
        self.clientAddress = context.clientAddress
    }

    public var maxUploadSize: Int { 256 * 1024 }
}
