import CoinDailyProtocol
import CoinDailySocketIO
import DequeModule
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// One Engine.IO v4 session: its transport (long-polling or WebSocket, with the upgrade between
/// them), heartbeat, and outbound queue. Confined to ``eventLoop``; other loops reach it through
/// `eventLoop.execute`, which is why it is `@unchecked Sendable`.
final class EngineIOSession: @unchecked Sendable {
    enum Transport {
        case polling
        /// A WebSocket connection is probing (`2probe` answered); polling still carries packets.
        case upgrading(any Channel)
        case websocket(any Channel)
    }

    /// The session id (`sid`).
    let id: String
    let eventLoop: any EventLoop
    let settings: EngineIOSettings
    private(set) var transport: Transport
    var delegate: (any EngineIOSessionDelegate)?
    private let registry: EngineIORegistry
    private var queue: Deque<ByteBuffer> = []
    private var queuedBytes = 0
    private var pendingPoll: HTTPResponder?
    private var postInProgress = false
    private var pingTask: Scheduled<Void>?
    private var pongDeadline: Scheduled<Void>?
    private(set) var isClosed = false
    private var needsFlush = false
    /// Closed over polling with packets still queued (e.g. a server `41`): the next GET gets them and
    /// the close packet, then the session is gone (or after a grace period without a GET).
    private var draining = false
    /// The client IP (after trusted-proxy resolution) of the request that opened the session.
    var clientIP = "unknown"
    /// Called once when the session closes (releases its connection-limit slot).
    var onClose: (() -> Void)?
    /// Called when the client goes over a limit below the sockets (`frame_size`, and `socketio_connects` from the
    /// Socket.IO layer), with a detail for the audit line.
    var onLimitHit: (@Sendable (_ limit: String, _ detail: String) -> Void)?
    /// Called once when the transport can take more after ``hasRoom`` said no (see ``whenRoom(_:)``).
    private var roomWaiter: (() -> Void)?

    init(id: String, eventLoop: any EventLoop, settings: EngineIOSettings, transport: Transport, registry: EngineIORegistry) {
        self.id = id
        self.eventLoop = eventLoop
        self.settings = settings
        self.transport = transport
        self.registry = registry
    }

    /// The open packet's JSON.
    func handshakeJSON(upgrades: [String]) -> String {
        let value: JSONValue = [
            "sid": .string(id), "upgrades": .strings(upgrades),
            "pingInterval": .int(settings.pingInterval.wholeMillis), "pingTimeout": .int(settings.pingTimeout.wholeMillis),
            "maxPayload": .int(Int64(settings.maxPayload)),
        ]
        return JSONWriter.string(value)
    }

    /// Starts the heartbeat; call once the open packet is on its way.
    func start() {
        schedulePing()
    }

    // MARK: Heartbeat

    private func schedulePing() {
        pingTask?.cancel()
        pingTask = eventLoop.scheduleTask(in: .milliseconds(settings.pingInterval.wholeMillis)) { [weak self] in
            guard let self, !self.isClosed else { return }
            self.send(packet: EngineIOPacket(.ping))
            self.flush()
            self.pongDeadline?.cancel()
            self.pongDeadline = self.eventLoop.scheduleTask(in: .milliseconds(self.settings.pingTimeout.wholeMillis)) {
                [weak self] in
                self?.close(reason: "ping timeout", notifyPoll: .close)
            }
        }
    }

    // MARK: Inbound

    /// Handles one decoded packet from the current transport (or the probing WebSocket).
    func receive(_ packet: EngineIOPacket, fromProbe probeChannel: (any Channel)? = nil) {
        guard !isClosed else { return }
        delegate?.engineIOSawActivity(self)
        if let probeChannel {
            receiveOnProbe(packet, channel: probeChannel)
            return
        }
        switch packet.type {
        case .pong:
            pongDeadline?.cancel()
            pongDeadline = nil
            schedulePing()
        case .ping:
            if case .text(let text) = packet.payload {
                send(packet: EngineIOPacket(.pong, .text(text)))
            } else {
                send(packet: EngineIOPacket(.pong))
            }
            flush()
        case .message:
            switch packet.payload {
            case .text(let text): delegate?.engineIO(self, didReceiveText: text)
            case .binary(let bytes): delegate?.engineIO(self, didReceiveBinary: bytes)
            case .none: delegate?.engineIO(self, didReceiveText: "")
            }
        case .close:
            close(reason: "client close", notifyPoll: .noop)
        case .open, .upgrade, .noop:
            break
        }
    }

    private func receiveOnProbe(_ packet: EngineIOPacket, channel: any Channel) {
        switch (packet.type, packet.payload) {
        case (.ping, .text("probe")):
            guard case .polling = transport else { return }
            transport = .upgrading(channel)
            Self.writeText(EngineIOCodec.encode(EngineIOPacket(.pong, .text("probe"))), to: channel, flush: true)
            // End the pending long-poll cleanly so the client can switch.
            if let poll = pendingPoll {
                pendingPoll = nil
                poll.respond(.ok, contentType: "text/plain; charset=UTF-8", body: EngineIOCodec.encode(EngineIOPacket(.noop)))
            }
        case (.upgrade, _):
            guard case .upgrading(let probing) = transport, probing === channel else { return }
            transport = .websocket(channel)
            if let poll = pendingPoll {
                pendingPoll = nil
                poll.respond(.ok, contentType: "text/plain; charset=UTF-8", body: EngineIOCodec.encode(EngineIOPacket(.noop)))
            }
            // Packets queued for polling go out over the WebSocket, in order.
            while let buffer = queue.popFirst() {
                Self.writeEncoded(buffer, to: channel, flush: false)
            }
            queuedBytes = 0
            channel.flush()
            if channel.isWritable { notifyRoom() }
        default:
            // Before "5", only the probe belongs on this socket; anything else goes through normally.
            receive(packet)
        }
    }

    /// A probing WebSocket went away before the upgrade completed: stay on polling.
    func probeClosed(_ channel: any Channel) {
        if case .upgrading(let probing) = transport, probing === channel { transport = .polling }
        if case .websocket(let current) = transport, current === channel {
            close(reason: "transport close", notifyPoll: .none)
        }
    }

    // MARK: Polling

    /// A long-polling GET.
    func poll(_ responder: HTTPResponder) {
        if draining {
            draining = false
            respondWithQueue(responder)
            registry.remove(id)
            return
        }
        guard !isClosed else {
            responder.respond(.unknownSession)
            return
        }
        switch transport {
        case .websocket:
            responder.respond(.badRequest("session was upgraded to websocket"))
            return
        case .upgrading:
            responder.respond(.ok, contentType: "text/plain; charset=UTF-8", body: EngineIOCodec.encode(EngineIOPacket(.noop)))
            return
        case .polling:
            break
        }
        if pendingPoll != nil {
            // Two concurrent GETs: a protocol error; the session ends.
            responder.respond(.badRequest("concurrent polling requests"))
            close(reason: "duplicate poll", notifyPoll: .close)
            return
        }
        if queue.isEmpty {
            pendingPoll = responder
            responder.onAbandoned = { [weak self] in
                guard let self else { return }
                self.eventLoop.execute {
                    guard self.pendingPoll === responder else { return }
                    self.pendingPoll = nil
                    self.close(reason: "polling request cancelled", notifyPoll: .none)
                }
            }
        } else {
            respondWithQueue(responder)
        }
    }

    /// A long-polling POST body.
    func post(_ body: ByteBuffer, tooLarge: Bool, responder: HTTPResponder) {
        guard !isClosed, !draining else {
            responder.respond(.unknownSession)
            return
        }
        if case .websocket = transport {
            responder.respond(.badRequest("session was upgraded to websocket"))
            return
        }
        guard !postInProgress else {
            responder.respond(.badRequest("concurrent POST requests"))
            close(reason: "concurrent post", notifyPoll: .close)
            return
        }
        guard !tooLarge, body.readableBytes <= settings.maxPayload else {
            onLimitHit?("frame_size", "polling POST over \(settings.maxPayload) bytes")
            responder.respond(.payloadTooLarge)
            close(reason: "payload too large", notifyPoll: .close)
            return
        }
        let packets: [EngineIOPacket]
        do {
            packets = try EngineIOCodec.decodePayload(body)
        } catch {
            responder.respond(.badRequest("invalid packet"))
            close(reason: "parse error", notifyPoll: .close)
            return
        }
        postInProgress = true
        responder.respond(.ok, contentType: "text/html", body: ByteBuffer(string: "ok"))
        for packet in packets {
            receive(packet)
            if isClosed { break }
        }
        postInProgress = false
    }

    private func respondWithQueue(_ responder: HTTPResponder) {
        var body = ByteBuffer()
        var first = true
        while var buffer = queue.popFirst() {
            if !first { body.writeInteger(EngineIOCodec.separator) }
            first = false
            body.writeBuffer(&buffer)
        }
        queuedBytes = 0
        responder.respond(.ok, contentType: "text/plain; charset=UTF-8", body: body)
        notifyRoom()
    }

    // MARK: Outbound

    /// Whether the transport can take more without nearing its limit: a WebSocket below its high water
    /// mark, a polling queue below half of ``EngineIOSettings/maxBufferedBytes``. Writers of long bursts
    /// (replays) stop when it is false and continue from ``whenRoom(_:)``, so a client that reads is never
    /// cut off as a slow consumer for a burst the gateway chose to write.
    var hasRoom: Bool {
        switch transport {
        case .websocket(let channel): channel.isWritable
        case .polling, .upgrading: queuedBytes < settings.maxBufferedBytes / 2
        }
    }

    /// Calls `body` (once, on ``eventLoop``) when the transport has room again: a long-poll took the queue,
    /// the WebSocket drained below its low water mark, or the upgrade moved the queue to the WebSocket.
    /// A later call replaces an earlier one; a closed session never calls it. When there is room already
    /// (a flush drained the socket before the call), `body` runs on the next loop tick.
    func whenRoom(_ body: @escaping () -> Void) {
        guard !isClosed else { return }
        roomWaiter = body
        if hasRoom { notifyRoom() }
    }

    /// The WebSocket became writable again (called on ``eventLoop`` by its handler).
    func transportWritable() {
        if case .websocket = transport { notifyRoom() }
    }

    private func notifyRoom() {
        guard let waiter = roomWaiter else { return }
        roomWaiter = nil
        // Not from inside the write or response that made room: the waiter writes again.
        eventLoop.assumeIsolated().execute { [weak self] in
            guard let self, !self.isClosed else { return }
            waiter()
        }
    }

    /// Queues or writes one packet (not flushed).
    func send(packet: EngineIOPacket) {
        if case .binary(let bytes) = packet.payload, case .websocket(let channel) = transport {
            let frame = WebSocketFrameBytes.frame(opcode: 0x2, payload: bytes)
            Self.writeFrame(frame, to: channel)
            needsFlush = true
            return
        }
        send(encoded: EngineIOCodec.encode(packet))
    }

    /// Queues or writes one packet already encoded as text (e.g. a shared `42[…]` event).
    func send(encoded text: ByteBuffer, frame: ByteBuffer? = nil) {
        guard !isClosed else { return }
        switch transport {
        case .websocket(let channel):
            Self.writeFrame(frame ?? WebSocketFrameBytes.text(text), to: channel)
            needsFlush = true
        case .polling, .upgrading:
            queuedBytes += text.readableBytes
            queue.append(text)
            needsFlush = true
            if queuedBytes > settings.maxBufferedBytes {
                close(reason: "slow consumer: \(queuedBytes) bytes queued", notifyPoll: .close)
            }
        }
    }

    /// Delivers what was sent: flushes the WebSocket, or answers a waiting long-poll.
    func flush() {
        guard needsFlush, !isClosed else { return }
        needsFlush = false
        switch transport {
        case .websocket(let channel):
            channel.flush()
        case .polling, .upgrading:
            if let poll = pendingPoll, !queue.isEmpty {
                pendingPoll = nil
                respondWithQueue(poll)
            }
        }
    }

    // MARK: Closing

    enum PollNotice { case none, noop, close }

    /// Ends the session: the delegate is told, a waiting long-poll gets `notifyPoll`, a WebSocket is closed.
    ///
    /// With `drain`, packets still queued for a long-polling client (a server `41`, a last error event)
    /// are delivered, with the close packet, by the pending or the next GET.
    func close(
        reason: String, notifyPoll: PollNotice = .close, webSocketCode: WebSocketErrorCode = .normalClosure,
        drain: Bool = false
    ) {
        guard !isClosed else { return }
        isClosed = true
        roomWaiter = nil
        pingTask?.cancel()
        pongDeadline?.cancel()
        if let onClose {
            self.onClose = nil
            onClose()
        }
        let pollingWithQueue: Bool
        if case .websocket = transport { pollingWithQueue = false } else { pollingWithQueue = !queue.isEmpty }
        if pollingWithQueue, drain {
            // What the server queued last (a `41`, an error event) must still reach the client:
            // followed by the close packet, in the pending GET or the next one.
            queue.append(EngineIOCodec.encode(EngineIOPacket(.close)))
            if let poll = pendingPoll {
                pendingPoll = nil
                respondWithQueue(poll)
                registry.remove(id)
            } else {
                draining = true
                let grace = settings.pingInterval.wholeMillis + settings.pingTimeout.wholeMillis
                eventLoop.scheduleTask(in: .milliseconds(grace)) { [weak self] in
                    guard let self, self.draining else { return }
                    self.draining = false
                    self.queue.removeAll()
                    self.registry.remove(self.id)
                }
            }
        } else {
            registry.remove(id)
            if let poll = pendingPoll {
                pendingPoll = nil
                switch notifyPoll {
                case .none: break
                case .noop:
                    poll.respond(.ok, contentType: "text/plain; charset=UTF-8", body: EngineIOCodec.encode(EngineIOPacket(.noop)))
                case .close:
                    poll.respond(.ok, contentType: "text/plain; charset=UTF-8", body: EngineIOCodec.encode(EngineIOPacket(.close)))
                }
            }
        }
        switch transport {
        case .websocket(let channel), .upgrading(let channel):
            var data = ByteBuffer()
            data.write(webSocketErrorCode: webSocketCode)
            Self.writeFrame(WebSocketFrameBytes.frame(opcode: 0x8, payload: data), to: channel)
            channel.flush()
            channel.eventLoop.scheduleTask(in: .milliseconds(100)) { channel.close(promise: nil) }
        case .polling:
            break
        }
        if !draining { queue.removeAll() }
        let delegate = self.delegate
        self.delegate = nil
        delegate?.engineIO(self, didCloseWith: reason)
    }

    // MARK: WebSocket writes

    static func writeText(_ text: ByteBuffer, to channel: any Channel, flush: Bool) {
        writeFrame(WebSocketFrameBytes.text(text), to: channel)
        if flush { channel.flush() }
    }

    static func writeEncoded(_ text: ByteBuffer, to channel: any Channel, flush: Bool) {
        writeText(text, to: channel, flush: flush)
    }

    /// Writes complete frame bytes (thread-safe: hops to the channel's loop when needed).
    static func writeFrame(_ frame: ByteBuffer, to channel: any Channel) {
        channel.write(frame, promise: nil)
    }
}

extension Duration {
    /// Whole milliseconds.
    var wholeMillis: Int64 {
        let (s, attos) = components
        return s * 1000 + attos / 1_000_000_000_000_000
    }
}
