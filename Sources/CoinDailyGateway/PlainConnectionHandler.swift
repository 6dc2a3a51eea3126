import CoinDailyProtocol
import CoinDailyService
import Logging
import NIOCore
import NIOWebSocket

/// The plain JSON WebSocket protocol on one connection: decodes text frames into requests for its
/// ``ClientSession`` and encodes replies; fan-out events arrive pre-encoded and are written as-is.
///
/// Every outbound frame is complete bytes (header and payload, see ``WebSocketFrameBytes``): the
/// shared fan-out frames go to the socket untouched, and the pipeline needs no frame encoder (nor
/// NIO's protocol-error handler: errors are answered here), which keeps idle connections small.
final class PlainConnectionHandler: ChannelInboundHandler, SessionTransport {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    private let gateway: GatewayContext
    private let connectionID: UInt64
    private(set) var session: ClientSession?
    private var context: ChannelHandlerContext?
    /// Where outbound bytes are written: the context of the frame decoder, the first handler after the
    /// pipeline's head, so every write goes straight to the socket instead of walking the inbound-only
    /// handlers in between (a measurable cost at one write per subscriber per event).
    private var writeContext: ChannelHandlerContext?
    private var closing = false
    private var drainedAfterClose = 0
    private var needsFlush = false
    /// Fan-out frames waiting for the next flush. One frame stays the shared buffer (no copy); from the
    /// second on they are copied into one buffer, so a flush is one NIO write instead of one per frame
    /// (the per-write path, not the copy, is what costs at one write per subscriber per event).
    private var pending: ByteBuffer?
    private var pendingIsShared = false

    /// The client IP, counted against the per-IP connection limit until the handler goes (`nil` when
    /// the connection was not admitted through ``ConnectionGuard``, as in unit tests).
    private var admittedIP: String?

    init(gateway: GatewayContext, connectionID: UInt64, admittedIP: String? = nil) {
        self.gateway = gateway
        self.connectionID = connectionID
        self.admittedIP = admittedIP
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.writeContext =
            (try? context.pipeline.syncOperations.context(handlerType: ByteToMessageHandler<WebSocketFrameDecoder>.self))
            ?? context
        let ip = admittedIP ?? context.channel.remoteAddress?.ipAddress ?? "unknown"
        let session = ClientSession(
            connectionID: connectionID, context: gateway, hub: gateway.hub(for: context.eventLoop), transport: self,
            clientIP: ip)
        self.session = session
        session.start()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        releaseAdmission()
        session?.stop()
        session = nil
        self.context = nil
        self.writeContext = nil
    }

    private func releaseAdmission() {
        if let ip = admittedIP {
            admittedIP = nil
            gateway.connectionGuard.release(ip: ip)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        releaseAdmission()
        session?.stop()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if closing {
            // The client's answer to our close frame ends the connection. Until it comes, input is read and
            // dropped — up to a bound: then reading stops, so a flooder's sends block (and its client
            // library gets to read our close frame) instead of being drained for free.
            if frame.opcode == .connectionClose {
                context.close(promise: nil)
            } else {
                drainedAfterClose += frame.length
                if drainedAfterClose > 65_536 { context.channel.setOption(.autoRead, value: false).whenComplete { _ in } }
            }
            return
        }
        guard let session else { return }
        session.touched()
        switch frame.opcode {
        case .text:
            let payload = frame.unmaskedData
            guard payload.readableBytes <= gateway.configuration.maxMessageBytes else {
                session.limitHit("message_size", "message too large", ["bytes": "\(payload.readableBytes)"])
                session.receive(
                    id: nil,
                    result: .failure(
                        .invalidFormat(
                            "message too large: \(payload.readableBytes) bytes, at most \(gateway.configuration.maxMessageBytes)"
                        )))
                return
            }
            let knownTokens = gateway.knownTokens
            let decoded = PlainMessage.decode(
                payload, limits: gateway.configuration.requestLimits, isKnownToken: knownTokens.contains)
            session.receive(id: decoded.id, result: decoded.result)
        case .binary:
            session.receive(
                id: nil, result: .failure(.invalidFormat("binary frames are not supported: send JSON text frames")))
        case .ping:
            let pong = WebSocketFrameBytes.frame(opcode: 0xA, payload: frame.unmaskedData, allocator: context.channel.allocator)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode() ?? .normalClosure
            close(code: code == .unknown(1005) ? .normalClosure : code, reason: "")
        default:
            break
        }
    }

    private func frameTooLarge() {
        if let session {
            session.limitHit("frame_size", "closing: frame too large")
        } else {
            gateway.metrics.limitHit("frame_size")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError {
            switch error {
            case .invalidFrameLength:
                frameTooLarge()
                close(code: CloseCode.messageTooBig, reason: "frame too large")
            default:
                close(code: .protocolError, reason: "protocol error")
            }
            return
        }
        if error is NIOWebSocketFrameAggregator.Error {
            frameTooLarge()
            close(code: CloseCode.messageTooBig, reason: "message too large")
            return
        }
        gateway.logger.debug("connection error", metadata: ["connection.id": "\(connectionID)", "error": "\(error)"])
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            // The client caught up: a grace period started before a replay (a live burst) ends here too.
            slowTimer?.cancel()
            slowTimer = nil
        }
        if !replays.isEmpty, !closing {
            // A replay in progress fills the buffer on purpose: pause it until the client has read.
            if context.channel.isWritable {
                replayStall?.cancel()
                replayStall = nil
                pumpReplay()
            } else if replayStall == nil {
                replayStall = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(10)) { [weak self] in
                    self?.closeSlow()
                }
            }
            context.fireChannelWritabilityChanged()
            return
        }
        if !context.channel.isWritable, !closing {
            // Over the limit: the client gets the grace period to catch up (a burst, or the end of a replay
            // that filled the socket), not more; at twice the limit ``writeEvent(_:)`` cuts it off at once.
            if gateway.configuration.slowConsumerGrace == .zero {
                closeSlow()
            } else {
                startSlowTimer(context.eventLoop)
            }
        } else if context.channel.isWritable {
            replayStall?.cancel()
            replayStall = nil
        }
        context.fireChannelWritabilityChanged()
    }

    /// Pending while the outbound buffer is over the limit (see ``channelWritabilityChanged(context:)``).
    private var slowTimer: Scheduled<Void>?

    /// Starts the grace period over the outbound limit, unless it is running.
    private func startSlowTimer(_ eventLoop: any EventLoop) {
        guard slowTimer == nil else { return }
        let grace = gateway.configuration.slowConsumerGrace.milliseconds
        slowTimer = eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(max(grace, 1))) { [weak self] in
            self?.slowTimer = nil
            self?.closeSlow()
        }
    }

    private func closeSlow() {
        guard !closing else { return }
        gateway.metrics.slowConsumers.increment()
        gateway.logger.info(
            "closing slow consumer", metadata: ["connection.id": "\(connectionID)", "limit": "\(gateway.configuration.maxOutboundBytes)"])
        close(code: CloseCode.slowConsumer, reason: "slow")
    }

    // MARK: SessionTransport

    func sendMessage(type: String, data: JSONValue?, replyTo id: String?) {
        guard let context else { return }
        let json = PlainMessage.event(
            type: type, data: data, id: id, timestamp: gateway.clock(), allocator: context.channel.allocator)
        writeRaw(WebSocketFrameBytes.text(json, allocator: context.channel.allocator), flush: true)
    }

    func sendError(_ error: ProtocolError, type: String, replyTo id: String?) {
        guard let context else { return }
        let json = PlainMessage.error(
            error, type: type, id: id, timestamp: gateway.clock(), allocator: context.channel.allocator)
        writeRaw(WebSocketFrameBytes.text(json, allocator: context.channel.allocator), flush: true)
    }

    func writeEvent(_ event: OutboundEvent) -> Bool {
        guard !closing, let context else { return false }
        if slowTimer != nil, let buffered = try? context.channel.syncOptions?.getOption(.bufferedWritableBytes),
            buffered > 2 * gateway.configuration.maxOutboundBytes
        {
            closeSlow()
            return false
        }
        let frame = event.plainFrame
        if var accumulated = pending {
            pending = nil  // keep the buffer uniquely referenced while appending
            if pendingIsShared {
                var merged = context.channel.allocator.buffer(capacity: accumulated.readableBytes + 3 * frame.readableBytes)
                merged.writeImmutableBuffer(accumulated)
                accumulated = merged
                pendingIsShared = false
            }
            accumulated.writeImmutableBuffer(frame)
            pending = accumulated
        } else {
            pending = frame
            pendingIsShared = true
        }
        needsFlush = true
        return true
    }

    func flush() {
        guard needsFlush, let writeContext else { return }
        needsFlush = false
        writePending(writeContext)
        writeContext.flush()
    }

    private func writePending(_ writeContext: ChannelHandlerContext) {
        guard let frames = pending else { return }
        pending = nil
        writeContext.write(wrapOutboundOut(frames), promise: nil)
    }

    /// Replays waiting to be written, in order, each with its completion.
    private var replays: [(events: ArraySlice<OutboundEvent>, completion: () -> Void)] = []
    private var replayStall: Scheduled<Void>?

    func writeReplay(_ events: [OutboundEvent], completion: @escaping () -> Void) {
        replays.append((events[...], completion))
        if replays.count == 1 { pumpReplay() }
    }

    /// Writes replayed frames while the channel is writable; continues when it is writable again.
    private func pumpReplay() {
        guard let context, let writeContext else { return }
        while !replays.isEmpty, !closing {
            while let event = replays[0].events.first {
                guard context.channel.isWritable else {
                    writeContext.flush()
                    return
                }
                replays[0].events.removeFirst()
                writeRaw(event.plainFrame, flush: false)
            }
            let done = replays.removeFirst()
            flush()
            writeContext.flush()
            if replays.isEmpty, let stall = replayStall {
                // Replay over: the normal slow-consumer rule takes over if the client is still behind.
                stall.cancel()
                replayStall = nil
                if !context.channel.isWritable { startSlowTimer(context.eventLoop) }
            }
            done.completion()
        }
    }

    func sendKeepAlive() {
        guard let context, !closing else { return }
        context.writeAndFlush(wrapOutboundOut(WebSocketFrameBytes.frame(opcode: 0x9, payload: ByteBuffer())), promise: nil)
    }

    func close(code: WebSocketErrorCode, reason: String) {
        guard let context, !closing else { return }
        if let writeContext, code != CloseCode.slowConsumer { writePending(writeContext) }
        closing = true
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(String(reason.utf8.prefix(120)) ?? "")
        let frame = WebSocketFrameBytes.frame(opcode: 0x8, payload: data, allocator: context.channel.allocator)
        let channel = context.channel
        // Half-close after the close frame and keep reading (and discarding) until the client answers:
        // closing outright with unread input in the kernel would send a TCP reset, which can destroy the
        // close frame before the client reads it (a flooder would see 1006 instead of 4029).
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
        // A client that does not read may never let the close frame out: cut it off regardless.
        context.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        session?.stop()
    }

    private func writeRaw(_ bytes: ByteBuffer, flush: Bool) {
        guard let writeContext, !closing else { return }
        writePending(writeContext)  // fan-out frames queued before this reply go first
        writeContext.write(wrapOutboundOut(bytes), promise: nil)
        if flush {
            needsFlush = false
            writeContext.flush()
        } else {
            needsFlush = true
        }
    }
}
