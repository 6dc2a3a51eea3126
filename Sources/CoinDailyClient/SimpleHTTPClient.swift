import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP/1.1 client for the CLI: one request per connection, whole body in memory.
public enum SimpleHTTPClient {
    /// A response.
    public struct Response: Sendable {
        /// The status code.
        public var status: Int
        /// The body.
        public var body: String
    }

    /// Errors.
    public enum Failure: Error, CustomStringConvertible {
        case closedEarly
        case timedOut
        public var description: String {
            switch self {
            case .closedEarly: "the server closed the connection before answering"
            case .timedOut: "no answer within 15 s"
            }
        }
    }

    /// Sends `method` to `url` with `body` and returns the response.
    public static func request(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Response {
        let target = try ClientURL(url)
        let promise = group.next().makePromise(of: Response.self)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
            .connect(host: target.host, port: target.port).get()
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target.pathAndQuery)
        head.headers.add(name: "Host", value: "\(target.host):\(target.port)")
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let bodyBuffer = body.map { ByteBuffer(string: $0) }
        head.headers.add(name: "Content-Length", value: String(bodyBuffer?.readableBytes ?? 0))
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let bodyBuffer { channel.write(HTTPClientRequestPart.body(.byteBuffer(bodyBuffer)), promise: nil) }
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(15)) {
            promise.fail(Failure.timedOut)
            channel.close(promise: nil)
        }
        let response = try await promise.futureResult.get()
        timeout.cancel()
        try? await channel.close().get()
        return response
    }

    private final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        private let promise: EventLoopPromise<Response>
        private var status = 0
        private var body = ByteBuffer()

        init(promise: EventLoopPromise<Response>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): status = Int(head.status.code)
            case .body(var part): body.writeBuffer(&part)
            case .end: promise.succeed(Response(status: status, body: String(buffer: body)))
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(Failure.closedEarly)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }
    }
}
