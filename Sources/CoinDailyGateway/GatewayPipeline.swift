import CoinDailyService
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The NIO server both the gateway and its conformance mode run: HTTP/1 with the WebSocket upgrader
/// in front of ``GatewayHTTPHandler``.
enum GatewayPipeline {
    /// Binds and returns the server channel.
    static func bind(
        group: any EventLoopGroup, host: String, port: Int, maxOutboundBytes: Int,
        http: GatewayHTTPHandler.Routes, upgrades: GatewayWebSocketUpgrader.Routes, tls: ReloadableTLSContext? = nil
    ) async throws -> any Channel {
        let high = max(maxOutboundBytes, 1024)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: high / 2, high: high))
            // Clients send little: start reads small (each channel keeps its receive buffer for
            // reuse) and let the allocator grow it for the rare large message.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // The current certificate: a reload applies to the next connection.
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.current))
                    }
                    try configure(channel: channel, http: http, upgrades: upgrades)
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    /// HTTP/1 with pipelining assistance and error handling, as `configureHTTPServerPipeline` builds it,
    /// except that the upgrade handler is put back after every plain request: NIO's upgrade handler
    /// only looks at a connection's first request, but Engine.IO clients (python-engineio, browsers)
    /// reuse a keep-alive polling connection for the WebSocket upgrade.
    private static func configure(
        channel: any Channel, http: GatewayHTTPHandler.Routes, upgrades: GatewayWebSocketUpgrader.Routes
    ) throws {
        let sync = channel.pipeline.syncOperations
        let encoder = HTTPResponseEncoder()
        let pipelining = HTTPServerPipelineHandler()
        let errors = HTTPServerProtocolErrorHandler()
        try sync.addHandler(encoder)
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        try sync.addHandler(decoder)
        try sync.addHandler(pipelining)
        try sync.addHandler(errors)
        let upgrader = GatewayWebSocketUpgrader(routes: upgrades)
        let httpHandler = GatewayHTTPHandler(routes: http, upgrader: upgrader)
        // The HTTP handler owns this factory, so nothing in it may refer back to the handler (that
        // would be a cycle, leaking every connection's HTTP handlers): it is found by type instead.
        let makeUpgradeHandler = {
            HTTPServerUpgradeHandler(
                upgraders: [upgrader], httpEncoder: encoder, extraHTTPHandlers: [decoder, pipelining, errors],
                upgradeCompletionHandler: { context in
                    let sync = context.pipeline.syncOperations
                    if let http = try? sync.context(handlerType: GatewayHTTPHandler.self) {
                        sync.removeHandler(context: http, promise: nil)
                    }
                })
        }
        httpHandler.makeUpgradeHandler = makeUpgradeHandler
        try sync.addHandler(makeUpgradeHandler())
        try sync.addHandler(httpHandler)
    }
}
