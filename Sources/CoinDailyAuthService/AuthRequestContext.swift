import Hummingbird
import NIOCore

/// The auth service's request context: Hummingbird's core context plus the peer address, so audit lines
/// can name the client.
public struct AuthRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The client's address, when the channel knows it.
    public let remoteAddress: SocketAddress?

    /// Creates the context for one request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text, for audit lines.
    var clientIP: String? { remoteAddress?.ipAddress }
}
