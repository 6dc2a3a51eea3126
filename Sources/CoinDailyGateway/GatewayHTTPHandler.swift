import NIOCore
import NIOHTTP1

/// Answers the plain HTTP requests on the gateway port: `/healthz`, `/readyz`, `/metrics`, `/`, and
/// a clear 400 for a `/ws` request that is not a WebSocket upgrade. WebSocket upgrades never get
/// here: NIO's upgrade handler takes them first.
final class GatewayHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the routes need from the gateway.
    struct Routes: Sendable {
        var path: String
        var readiness: @Sendable () -> (ready: Bool, detail: String)
        var metrics: @Sendable () -> [UInt8]
    }

    private let routes: Routes
    private var head: HTTPRequestHead?

    init(routes: Routes) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        switch (head.method, path) {
        case (.GET, "/healthz"), (.HEAD, "/healthz"):
            send(.ok, "text/plain; charset=utf-8", Array("ok\n".utf8), head: head, context: context)
        case (.GET, "/readyz"), (.HEAD, "/readyz"):
            let (ready, detail) = routes.readiness()
            send(ready ? .ok : .serviceUnavailable, "application/json", Array(detail.utf8), head: head, context: context)
        case (.GET, "/metrics"):
            send(.ok, "text/plain; version=0.0.4; charset=utf-8", routes.metrics(), head: head, context: context)
        case (.GET, "/"), (.GET, "/index.html"):
            send(.ok, "text/html; charset=utf-8", Array(Dashboard.html.utf8), head: head, context: context)
        case (_, routes.path), (_, routes.path + "/"):
            let message: String
            if query.split(separator: "&").contains(where: { $0.hasPrefix("EIO=") }) {
                message = #"{"code":3,"message":"Engine.IO (Socket.IO) is not served by this gateway version; use the plain WebSocket protocol"}"#
            } else {
                message = #"{"error":{"code":"INVALID_MESSAGE_FORMAT","message":"expected a WebSocket upgrade request (GET with Upgrade: websocket)"}}"#
            }
            send(.badRequest, "application/json", Array(message.utf8), head: head, context: context)
        default:
            send(.notFound, "text/plain; charset=utf-8", Array("not found\n".utf8), head: head, context: context)
        }
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
