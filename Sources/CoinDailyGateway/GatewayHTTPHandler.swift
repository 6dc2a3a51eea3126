import NIOCore
import NIOHTTP1

/// Answers the plain HTTP requests on the gateway port: Engine.IO long-polling, `/healthz`,
/// `/readyz`, `/metrics`, `/`, and a clear 400 for a `/ws` request that is not a WebSocket upgrade.
/// WebSocket upgrades never get here: NIO's upgrade handler takes them first.
final class GatewayHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the routes need from the gateway.
    struct Routes: Sendable {
        /// The plain WebSocket path, if the plain protocol is served.
        var path: String?
        /// Engine.IO servers, by path.
        var engineIO: [EngineIOServer]
        var readiness: @Sendable () -> (ready: Bool, detail: String)
        var metrics: @Sendable () -> [UInt8]
        /// Whether `/` serves the dashboard.
        var dashboard: Bool
        /// Allowed origins for CORS (`nil`: any origin is reflected, as in conformance mode).
        var connectionGuard: ConnectionGuard? = nil
    }

    private let routes: Routes
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyTooLarge = false
    private var pending: HTTPResponder?
    private let maxBodyBytes: Int
    /// Builds a fresh upgrade handler; after each plain request one is put back in front of this
    /// handler, so the next request on the connection may be a WebSocket upgrade.
    var makeUpgradeHandler: (() -> HTTPServerUpgradeHandler)?
    /// This connection's upgrader: an upgrade it refused (origin, limits) is answered here.
    private let upgrader: GatewayWebSocketUpgrader?

    init(routes: Routes, upgrader: GatewayWebSocketUpgrader? = nil) {
        self.routes = routes
        self.upgrader = upgrader
        self.maxBodyBytes = (routes.engineIO.map(\.settings.maxPayload).max() ?? 0) + 1
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
            bodyTooLarge = false
        case .body(var part):
            if body.readableBytes + part.readableBytes <= maxBodyBytes {
                body.writeBuffer(&part)
            } else {
                bodyTooLarge = true
            }
        case .end:
            guard let head else { return }
            self.head = nil
            reinstallUpgradeHandler(context: context)
            respond(to: head, context: context)
        }
    }

    private func reinstallUpgradeHandler(context: ChannelHandlerContext) {
        guard let makeUpgradeHandler else { return }
        let sync = context.pipeline.syncOperations
        guard (try? sync.context(handlerType: HTTPServerUpgradeHandler.self)) == nil else { return }
        try? sync.addHandler(makeUpgradeHandler(), position: .before(self))
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.connectionClosed()
        pending = nil
        upgrader?.releaseUntakenAdmission()
        context.fireChannelInactive()
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        if let refusal = upgrader?.takeRefusal() {
            send(refusal.status, "application/json", Array(refusal.body.utf8), head: head, context: context)
            return
        }
        if let server = routes.engineIO.first(where: { $0.matches(uri: head.uri) }) {
            let allowed = routes.connectionGuard.map { $0.checkOriginQuietly(head.headers) } ?? true
            let responder = HTTPResponder(channel: context.channel, head: head, extraHeaders: allowed ? Self.cors(head) : [:])
            pending = responder
            // An oversized body is not kept (only its first part is); it is said so, never passed on truncated.
            server.handle(head: head, body: body, bodyTooLarge: bodyTooLarge, responder: responder, channel: context.channel)
            body.clear()
            return
        }
        switch (head.method, path) {
        case (.GET, "/healthz"), (.HEAD, "/healthz"):
            send(.ok, "text/plain; charset=utf-8", Array("ok\n".utf8), head: head, context: context)
        case (.GET, "/readyz"), (.HEAD, "/readyz"):
            let (ready, detail) = routes.readiness()
            send(ready ? .ok : .serviceUnavailable, "application/json", Array(detail.utf8), head: head, context: context)
        case (.GET, "/metrics"):
            send(.ok, "text/plain; version=0.0.4; charset=utf-8", routes.metrics(), head: head, context: context)
        case (.GET, "/"), (.GET, "/index.html"):
            if routes.dashboard {
                send(.ok, "text/html; charset=utf-8", Array(Dashboard.html.utf8), head: head, context: context)
            } else {
                send(.notFound, "text/plain; charset=utf-8", Array("not found\n".utf8), head: head, context: context)
            }
        case (_, let p) where routes.path != nil && (p == routes.path || p == routes.path! + "/"):
            let message = #"{"error":{"code":"INVALID_MESSAGE_FORMAT","message":"expected a WebSocket upgrade request (GET with Upgrade: websocket), or an Engine.IO request (EIO=4)"}}"#
            send(.badRequest, "application/json", Array(message.utf8), head: head, context: context)
        default:
            send(.notFound, "text/plain; charset=utf-8", Array("not found\n".utf8), head: head, context: context)
        }
    }

    /// CORS for browsers polling from another origin: an allowed origin is reflected, with credentials
    /// (a request from an origin that is not allowed gets no CORS headers and a 403; see docs/security.md).
    static func cors(_ head: HTTPRequestHead) -> HTTPHeaders {
        var headers = HTTPHeaders()
        if let origin = head.headers.first(name: "Origin") {
            headers.add(name: "Access-Control-Allow-Origin", value: origin)
            headers.add(name: "Access-Control-Allow-Credentials", value: "true")
            headers.add(name: "Vary", value: "Origin")
            if head.method == .OPTIONS {
                headers.add(name: "Access-Control-Allow-Methods", value: "GET, POST, OPTIONS")
                headers.add(
                    name: "Access-Control-Allow-Headers",
                    value: head.headers.first(name: "Access-Control-Request-Headers") ?? "Content-Type")
                headers.add(name: "Access-Control-Max-Age", value: "600")
            }
        }
        return headers
    }

    private func send(
        _ status: HTTPResponseStatus, _ contentType: String, _ body: [UInt8], head: HTTPRequestHead,
        context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        let keepAlive = head.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
