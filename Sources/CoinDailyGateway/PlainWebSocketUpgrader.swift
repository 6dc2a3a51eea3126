import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Upgrades `/ws` requests to the plain protocol's WebSocket pipeline.
///
/// The handshake (validation, `Sec-WebSocket-Accept`) is NIO's `NIOWebSocketServerUpgrader`; the
/// pipeline is ours: frame decoder, aggregator and ``PlainConnectionHandler`` — without NIO's frame
/// encoder and protocol-error handler, because the handler writes complete frame bytes itself and
/// answers protocol errors. Two handlers fewer per connection is memory every idle client saves.
final class PlainWebSocketUpgrader: HTTPServerProtocolUpgrader, Sendable {
    private let handshake: NIOWebSocketServerUpgrader
    private let maxFrameBytes: Int
    private let makeHandler: @Sendable () -> PlainConnectionHandler

    /// - Parameters:
    ///   - maxFrameBytes: the largest frame, and reassembled message, accepted at all.
    ///   - shouldUpgrade: whether to accept the request (path and query checks).
    ///   - makeHandler: the connection's handler.
    init(
        maxFrameBytes: Int,
        shouldUpgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>,
        makeHandler: @escaping @Sendable () -> PlainConnectionHandler
    ) {
        self.maxFrameBytes = maxFrameBytes
        self.makeHandler = makeHandler
        self.handshake = NIOWebSocketServerUpgrader(
            maxFrameSize: maxFrameBytes, automaticErrorHandling: false, shouldUpgrade: shouldUpgrade,
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() })
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
        let pipeline = context.pipeline
        let maxFrameBytes = self.maxFrameBytes
        let handler = makeHandler()
        return context.eventLoop.makeCompletedFuture {
            let sync = pipeline.syncOperations
            try sync.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameBytes)))
            try sync.addHandler(
                NIOWebSocketFrameAggregator(
                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: maxFrameBytes))
            try sync.addHandler(handler)
        }
    }
}
