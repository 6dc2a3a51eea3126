import NIOCore
import NIOHTTP1
import NIOWebSocket

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
        var makePlainHandler: (@Sendable () -> PlainConnectionHandler)?
        /// Engine.IO servers.
        var engineIO: [EngineIOServer]
    }

    private let handshake: NIOWebSocketServerUpgrader
    private let routes: Routes

    init(routes: Routes) {
        self.routes = routes
        let maxFrame = max(routes.maxPlainFrameBytes, routes.engineIO.map(\.settings.maxPayload).max() ?? 0)
        self.handshake = NIOWebSocketServerUpgrader(
            maxFrameSize: maxFrame, automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(Self.accepts(head, routes: routes) ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() })
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
        return context.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            if let server = routes.engineIO.first(where: { $0.matches(uri: upgradeRequest.uri) }) {
                guard let handler = server.makeWebSocketHandler(head: upgradeRequest, channel: channel) else {
                    throw ChannelError.inappropriateOperationForState
                }
                try Self.addFrameHandlers(sync, maxBytes: server.settings.maxPayload)
                try sync.addHandler(handler)
            } else if let make = routes.makePlainHandler {
                try Self.addFrameHandlers(sync, maxBytes: routes.maxPlainFrameBytes)
                try sync.addHandler(make())
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
