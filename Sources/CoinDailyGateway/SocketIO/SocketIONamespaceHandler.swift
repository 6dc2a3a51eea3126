import CoinDailyProtocol
import NIOCore

/// One client's socket on one namespace, as the application sees it. Called on the session's loop.
protocol SocketIONamespaceHandler: AnyObject {
    /// The client sent CONNECT with `auth` (nil when none). Must answer with
    /// ``SocketIOConnection/accept(namespace:)`` or ``SocketIOConnection/refuse(namespace:message:data:)``,
    /// now or later.
    func connect(auth: JSONValue?)
    /// An EVENT (or BINARY_EVENT with its attachments) for this namespace; `bytes` is the packet's size
    /// (its text plus attachments), for message size limits.
    func event(name: String, arguments: [JSONValue], ackID: UInt64?, attachments: [ByteBuffer], bytes: Int)
    /// Any packet of the session arrived (keeps idle timers happy).
    func activity()
    /// The client left the namespace (DISCONNECT) or the session closed.
    func disconnected(reason: String)
}

/// A Socket.IO application: which namespaces exist and what handles a socket on each.
protocol SocketIOApplication: Sendable {
    /// A handler for a CONNECT to `namespace`, or nil when the namespace does not exist
    /// (the client then gets `CONNECT_ERROR` "Invalid namespace").
    func handler(for namespace: String, connection: SocketIOConnection) -> (any SocketIONamespaceHandler)?
    /// How long a session may stay without any namespace connected.
    var connectTimeout: Duration { get }
    /// Most binary attachments per packet.
    var maxAttachments: Int { get }
    /// CONNECT packets one Engine.IO session may send: `burst` at once, then `perMinute` on average. Each
    /// CONNECT makes a new socket (with fresh per-socket limits), so a client disconnecting and connecting
    /// again in a loop would otherwise escape them; beyond this the session is closed.
    var connectRate: (burst: Double, perMinute: Double) { get }
}

extension SocketIOApplication {
    /// No practical limit (the conformance applications).
    var connectRate: (burst: Double, perMinute: Double) { (1_000_000, 1_000_000) }
}

/// Adapts a ``SocketIOApplication`` to Engine.IO: every session gets a ``SocketIOConnection``.
struct SocketIOServerApplication: EngineIOApplication {
    let application: any SocketIOApplication

    func sessionOpened(_ session: EngineIOSession) -> any EngineIOSessionDelegate {
        SocketIOConnection(session: session, application: application)
    }
}
