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
