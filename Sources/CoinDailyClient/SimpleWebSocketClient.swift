import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A small WebSocket client on SwiftNIO, for the CLI and the benchmark: text frames in, text frames out.
public final class SimpleWebSocketClient: Sendable {
    /// The connection's channel.
    public let channel: any Channel

    private init(channel: any Channel) { self.channel = channel }

    /// Errors.
    public enum Failure: Error, CustomStringConvertible {
        case upgradeRefused
        public var description: String { "the server refused the WebSocket upgrade" }
    }

    /// Connects to `url` (`ws://host:port/path`).
    ///
    /// - Parameters:
    ///   - onText: called on the connection's event loop for every text message.
    ///   - onClose: called once with the close code the server sent (or `nil`) when the connection ends.
    public static func connect(
        _ url: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onText: @escaping @Sendable (ByteBuffer) -> Void,
        onClose: @escaping @Sendable (UInt16?) -> Void = { _ in }
    ) async throws -> SimpleWebSocketClient {
        let target = try ClientURL(url)
        let upgraded = group.next().makePromise(of: Void.self)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let requestKey = (0..<16).map { _ in UInt8.random(in: 0...255) }
                let upgrader = NIOWebSocketClientUpgrader(
                    requestKey: String(base64: requestKey),
                    maxFrameSize: 16 * 1024 * 1024,
                    automaticErrorHandling: true,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let requester = try channel.pipeline.syncOperations.context(handlerType: UpgradeRequester.self)
                            channel.pipeline.syncOperations.removeHandler(context: requester, promise: nil)
                            try channel.pipeline.syncOperations.addHandler(
                                NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024,
                                    maxAccumulatedFrameSize: 16 * 1024 * 1024))
                            try channel.pipeline.syncOperations.addHandler(
                                TextHandler(onText: onText, onClose: onClose))
                            upgraded.succeed(())
                        }
                    })
                let config: NIOHTTPClientUpgradeConfiguration = (
                    upgraders: [upgrader],
                    completionHandler: { _ in }
                )
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(withClientUpgrade: config)
                    try channel.pipeline.syncOperations.addHandler(UpgradeRequester(target: target, failed: upgraded))
                }
            }
            .connect(host: target.host, port: target.port).get()
        try await upgraded.futureResult.get()
        return SimpleWebSocketClient(channel: channel)
    }

    /// Sends a text message.
    public func send(_ text: String) async throws {
        let payload = ByteBuffer(string: text)
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: payload)
        try await channel.writeAndFlush(frame).get()
    }

    /// Writes a text message without waiting for it to be written (usable from the connection's event
    /// loop, e.g. to answer a message in `onText`).
    public func sendWithoutWaiting(_ text: String) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        channel.writeAndFlush(frame, promise: nil)
    }

    /// Sends a close frame and closes.
    public func close() async {
        var data = ByteBuffer()
        data.write(webSocketErrorCode: .normalClosure)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        try? await channel.writeAndFlush(frame).get()
        try? await channel.close().get()
    }

    /// Sends the upgrade request once the channel is active; fails the upgrade if the server answers with HTTP.
    private final class UpgradeRequester: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart
        let target: ClientURL
        let failed: EventLoopPromise<Void>

        init(target: ClientURL, failed: EventLoopPromise<Void>) {
            self.target = target
            self.failed = failed
        }

        func channelActive(context: ChannelHandlerContext) {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.pathAndQuery)
            head.headers.add(name: "Host", value: "\(target.host):\(target.port)")
            head.headers.add(name: "Content-Length", value: "0")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head = unwrapInboundIn(data) {
                failed.fail(Failure.upgradeRefused)
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            failed.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            failed.fail(Failure.upgradeRefused)
            context.fireChannelInactive()
        }
    }

    private final class TextHandler: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let onText: @Sendable (ByteBuffer) -> Void
        let onClose: @Sendable (UInt16?) -> Void
        var closeCode: UInt16?
        var reported = false

        init(onText: @escaping @Sendable (ByteBuffer) -> Void, onClose: @escaping @Sendable (UInt16?) -> Void) {
            self.onText = onText
            self.onClose = onClose
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text:
                onText(frame.unmaskedData)
            case .ping:
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
            case .connectionClose:
                var data = frame.unmaskedData
                closeCode = data.readInteger(as: UInt16.self)
                context.close(promise: nil)
            default:
                break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !reported {
                reported = true
                onClose(closeCode)
            }
            context.fireChannelInactive()
        }
    }
}

extension String {
    init(base64 bytes: [UInt8]) {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(table[Int(b0 >> 2)])
            out.append(table[Int(((b0 & 0x03) << 4) | (b1 >> 4))])
            out.append(i + 1 < bytes.count ? table[Int(((b1 & 0x0F) << 2) | (b2 >> 6))] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? table[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        self = String(decoding: out, as: UTF8.self)
    }
}
