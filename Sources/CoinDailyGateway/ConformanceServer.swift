import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `coindaily-gateway --conformance`: the gateway's Engine.IO and Socket.IO implementation serving
/// the test applications the official protocol test suites expect (see `docs/socketio.md`):
/// an Engine.IO echo server on `/engine.io/` and the Socket.IO test app on `/socket.io/`, with
/// pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1 000 000 and connectTimeout 1000 ms. No Redis.
public final class ConformanceServer: Service, Sendable {
    private let host: String
    private let port: Int
    private let group: any EventLoopGroup
    private let logger: Logger
    private let settings: EngineIOSettings

    /// Creates the server.
    public init(host: String, port: Int, group: any EventLoopGroup, logger: Logger) {
        self.host = host
        self.port = port
        self.group = group
        self.logger = logger
        self.settings = EngineIOSettings(
            pingInterval: .milliseconds(300), pingTimeout: .milliseconds(200), maxPayload: 1_000_000,
            connectTimeout: .milliseconds(1000))
    }

    public func run() async throws {
        let echo = EngineIOServer(path: "/engine.io", settings: settings, application: EngineIOEchoApplication())
        let socketIO = EngineIOServer(
            path: "/socket.io", settings: settings,
            application: SocketIOServerApplication(
                application: ConformanceSocketIOApplication(
                    connectTimeout: settings.connectTimeout, maxAttachments: settings.maxAttachments)))
        let servers = [echo, socketIO]
        let channel = try await GatewayPipeline.bind(
            group: group, host: host, port: port, maxOutboundBytes: 1024 * 1024,
            http: GatewayHTTPHandler.Routes(
                path: nil, engineIO: servers, readiness: { (true, #"{"ready":true}"#) }, metrics: { [] }, dashboard: false),
            upgrades: GatewayWebSocketUpgrader.Routes(
                plainPath: nil, maxPlainFrameBytes: 0, makePlainHandler: nil, engineIO: servers))
        logger.info("conformance mode listening on \(host):\(channel.localAddress?.port ?? port) (/engine.io/, /socket.io/)")
        try await withGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        for server in servers { server.closeAll() }
    }
}
