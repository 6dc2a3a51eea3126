import NIOCore
import NIOHTTP1
import NIOWebSocket
import Synchronization

/// Upgrades WebSocket requests on the gateway port: plain-protocol requests (`/ws` without `EIO`)
/// and Engine.IO WebSocket transports (`EIO=4&transport=websocket`, with or without `sid`).
///
/// The handshake (validation, `Sec-WebSocket-Accept`) is NIO's `NIOWebSocketServerUpgrader`; the
/// pipeline is ours: frame decoder, aggregator and our handler — without NIO's frame encoder and
/// protocol-error handler, because our handlers write complete frame bytes themselves and answer
/// protocol errors. Two handlers fewer per connection is memory every idle client saves.
final class GatewayWebSocketUpgrader: HTTPServerProtocolUpgrader, Sendable {
    /// How the gateway routes upgrades.
    struct Routes: Sendable {
        /// The plain protocol's path and connection handler factory, if served.
        var plainPath: String?
        var maxPlainFrameBytes: Int
        /// The factory gets the admitted client IP (`nil` without a connection guard).
        var makePlainHandler: (@Sendable (_ admittedIP: String?) -> PlainConnectionHandler)?
        /// Engine.IO servers.
        var engineIO: [EngineIOServer]
        /// Origins and connection limits, checked before an upgrade (`nil`: none).
        var connectionGuard: ConnectionGuard?
    }

    private let handshake: NIOWebSocketServerUpgrader
    private let routes: Routes
    /// This connection's admission: the client IP admitted for the upgrade, or why it was refused (the
    /// HTTP handler answers the refused request). One upgrader per connection; used on its event loop.
    private let admission = Admission()

    private final class Admission: Sendable {
        let state = Mutex<(ip: String?, refusal: ConnectionGuard.Refusal?)>((nil, nil))
        func withLockedValue<T>(_ body: (inout (ip: String?, refusal: ConnectionGuard.Refusal?)) -> T) -> T {
            state.withLock { body(&$0) }
        }
    }

    init(routes: Routes) {
        self.routes = routes
        let maxFrame = max(routes.maxPlainFrameBytes, routes.engineIO.map(\.settings.maxPayload).max() ?? 0)
        let admission = self.admission
        self.handshake = NIOWebSocketServerUpgrader(
            maxFrameSize: maxFrame, automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                guard Self.accepts(head, routes: routes) else { return channel.eventLoop.makeSucceededFuture(nil) }
                if let connectionGuard = routes.connectionGuard {
                    if let refusal = connectionGuard.checkOrigin(head.headers, peer: channel.remoteAddress) {
                        admission.withLockedValue { $0 = (nil, refusal) }
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    // Upgrading an existing Engine.IO session is not a new connection.
                    let isNewConnection = EngineIOQuery(uri: head.uri).sid == nil
                    if isNewConnection {
                        let ip = connectionGuard.clientIP(peer: channel.remoteAddress, headers: head.headers)
                        if let refusal = connectionGuard.admit(ip: ip) {
                            admission.withLockedValue { $0 = (nil, refusal) }
                            return channel.eventLoop.makeSucceededFuture(nil)
                        }
                        // If the connection goes before the upgrade takes the slot, the HTTP handler gives it
                        // back (``releaseUntakenAdmission()``): no per-connection close callback, which would
                        // cost every upgraded connection memory for its whole life.
                        admission.withLockedValue { $0 = (ip, nil) }
                    }
                }
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() })
    }

    /// Returns the connection slot admitted for an upgrade that never happened (the connection went first).
    /// Called by the HTTP handler when the connection closes while it is still in the pipeline.
    func releaseUntakenAdmission() {
        let untaken = admission.withLockedValue { state in
            defer { state.ip = nil }
            return state.ip
        }
        if let untaken { routes.connectionGuard?.release(ip: untaken) }
    }

    /// Why the last upgrade request was refused (taken once, by the HTTP handler answering it).
    func takeRefusal() -> ConnectionGuard.Refusal? {
        admission.withLockedValue { state in
            defer { state.refusal = nil }
            return state.refusal
        }
    }

    static func accepts(_ head: HTTPRequestHead, routes: Routes) -> Bool {
        if let server = routes.engineIO.first(where: { $0.matches(uri: head.uri) }) {
            return server.acceptsUpgrade(head)
        }
        if let path = routes.plainPath, routes.makePlainHandler != nil {
            return Gateway.acceptsUpgrade(head, path: path)
        }
        return false
    }

    var supportedProtocol: String { handshake.supportedProtocol }

    var requiredUpgradeHeaders: [String] { handshake.requiredUpgradeHeaders }

    func buildUpgradeResponse(
        channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        handshake.buildUpgradeResponse(
            channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        let channel = context.channel
        let routes = self.routes
        let admittedIP = admission.withLockedValue { state in
            defer { state.ip = nil }
            return state.ip
        }
        return context.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            if let server = routes.engineIO.first(where: { $0.matches(uri: upgradeRequest.uri) }) {
                guard let handler = server.makeWebSocketHandler(head: upgradeRequest, channel: channel, admittedIP: admittedIP)
                else {
                    if let admittedIP { routes.connectionGuard?.release(ip: admittedIP) }
                    throw ChannelError.inappropriateOperationForState
                }
                try Self.addFrameHandlers(sync, maxBytes: server.settings.maxPayload)
                try sync.addHandler(handler)
            } else if let make = routes.makePlainHandler {
                do {
                    try Self.addFrameHandlers(sync, maxBytes: routes.maxPlainFrameBytes)
                    try sync.addHandler(make(admittedIP))  // once added, the handler returns the slot when it goes
                } catch {
                    if let admittedIP { routes.connectionGuard?.release(ip: admittedIP) }
                    throw error
                }
            } else {
                throw ChannelError.inappropriateOperationForState
            }
        }
    }

    private static func addFrameHandlers(_ sync: ChannelPipeline.SynchronousOperations, maxBytes: Int) throws {
        try sync.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxBytes)))
        try sync.addHandler(
            NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: maxBytes))
    }
}
