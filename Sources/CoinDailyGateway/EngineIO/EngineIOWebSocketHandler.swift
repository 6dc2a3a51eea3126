import CoinDailySocketIO
import NIOCore
import NIOWebSocket

/// The WebSocket transport of one Engine.IO session: one packet per frame. Text frames are decoded
/// and handed to the session on the session's event loop; binary frames are binary messages.
///
/// A connection opened with `sid=` starts as a probe (the polling-to-WebSocket upgrade) and becomes
/// the session's transport after `5`.
final class EngineIOWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    private let session: EngineIOSession
    private let isProbe: Bool
    private var channel: (any Channel)?
    private var closed = false

    init(session: EngineIOSession, isProbe: Bool) {
        self.session = session
        self.isProbe = isProbe
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let packet: EngineIOPacket
            do {
                packet = try EngineIOCodec.decode(text: frame.unmaskedData)
            } catch {
                // The spec: an invalid packet closes the session.
                deliver { session, _ in session.close(reason: "parse error", notifyPoll: .close, webSocketCode: .protocolError) }
                return
            }
            deliver { session, channel in session.receive(packet, fromProbe: channel) }
        case .binary:
            let packet = EngineIOPacket.binary(frame.unmaskedData)
            deliver { session, channel in session.receive(packet, fromProbe: channel) }
        case .ping:
            let pong = WebSocketFrameBytes.frame(opcode: 0xA, payload: frame.unmaskedData, allocator: context.channel.allocator)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var data = ByteBuffer()
            data.write(webSocketErrorCode: .normalClosure)
            let closeFrame = WebSocketFrameBytes.frame(opcode: 0x8, payload: data)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(closeFrame)).whenComplete { _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    /// Runs `body` on the session's loop with the probe channel when this socket is still probing.
    private func deliver(_ body: @escaping @Sendable (EngineIOSession, (any Channel)?) -> Void) {
        guard let channel else { return }
        let session = self.session
        let probing = isProbe
        let run: @Sendable () -> Void = {
            var probeChannel: (any Channel)?
            if probing {
                switch session.transport {
                case .websocket(let current) where current === channel: probeChannel = nil
                default: probeChannel = channel
                }
            }
            body(session, probeChannel)
        }
        if session.eventLoop.inEventLoop { run() } else { session.eventLoop.execute(run) }
    }

    /// Pending while the socket is over the outbound limit.
    private var slowTimer: Scheduled<Void>?

    /// A client that stops reading: after the grace period over the limit its session is closed with 3008
    /// (reconnect and recover), so it never grows the gateway's memory without bound.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable {
            if slowTimer == nil {
                let grace = session.settings.slowConsumerGrace
                slowTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(max(grace.milliseconds, 1))) { [weak self] in
                    self?.slowTimer = nil
                    self?.deliver { session, probe in
                        guard probe == nil else { return }  // only the session's own transport
                        session.close(
                            reason: "slow consumer: outbound buffer over the limit", notifyPoll: .close,
                            webSocketCode: CloseCode.slowConsumer)
                    }
                }
            }
        } else {
            slowTimer?.cancel()
            slowTimer = nil
            deliver { session, probe in
                guard probe == nil else { return }
                session.transportWritable()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        slowTimer?.cancel()
        slowTimer = nil
        let session = self.session
        let channel = context.channel
        session.eventLoop.execute {
            if case .polling = session.transport { return }
            session.probeClosed(channel)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        var data = ByteBuffer()
        let tooLarge = (error as? NIOWebSocketError) == .invalidFrameLength || error is NIOWebSocketFrameAggregator.Error
        let code: WebSocketErrorCode = tooLarge ? .messageTooLarge : .protocolError
        if tooLarge {
            let limit = session.settings.maxPayload
            deliver { session, _ in session.onLimitHit?("frame_size", "WebSocket frame over \(limit) bytes") }
        }
        data.write(webSocketErrorCode: code)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrameBytes.frame(opcode: 0x8, payload: data))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
