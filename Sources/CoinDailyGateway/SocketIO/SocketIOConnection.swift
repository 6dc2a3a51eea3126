import CoinDailyProtocol
import CoinDailySocketIO
import NIOCore

/// The Socket.IO v5 layer of one Engine.IO session: packet decoding, namespaces, binary
/// attachments, the connect timeout. Confined to the session's event loop.
final class SocketIOConnection: EngineIOSessionDelegate {
    let session: EngineIOSession
    private let application: any SocketIOApplication
    private var sockets: [String: any SocketIONamespaceHandler] = [:]
    private var connected: Set<String> = []
    private var connectTimer: Scheduled<Void>?
    /// Whether a CONNECT arrived yet: the spec requires the first packet to be one.
    private var sawConnect = false
    /// CONNECT packets (``SocketIOApplication/connectRate``); made at the first one.
    private var connects: TokenBucket?
    /// A binary packet waiting for its attachments, and the bytes received for it so far.
    private var partial: (packet: SocketIOPacket, attachments: [ByteBuffer], bytes: Int)?

    init(session: EngineIOSession, application: any SocketIOApplication) {
        self.session = session
        self.application = application
        connectTimer = session.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(application.connectTimeout.wholeMillis)) {
            [weak self] in
            guard let self, self.connected.isEmpty else { return }
            self.session.close(reason: "connect timeout", notifyPoll: .close)
        }
    }

    // MARK: EngineIOSessionDelegate

    func engineIO(_ session: EngineIOSession, didReceiveText text: String) {
        guard partial == nil else {
            fail("text packet while binary attachments were expected")
            return
        }
        let packet: SocketIOPacket
        do {
            packet = try SocketIOCodec.decode(text, maxAttachments: application.maxAttachments)
        } catch {
            fail("invalid packet")
            return
        }
        if packet.attachments > 0 {
            partial = (packet, [], text.utf8.count)
            return
        }
        dispatch(packet, attachments: [], bytes: text.utf8.count)
    }

    func engineIO(_ session: EngineIOSession, didReceiveBinary bytes: ByteBuffer) {
        guard var waiting = partial else {
            fail("unexpected binary attachment")
            return
        }
        waiting.attachments.append(bytes)
        waiting.bytes += bytes.readableBytes
        if waiting.attachments.count == waiting.packet.attachments {
            partial = nil
            dispatch(waiting.packet, attachments: waiting.attachments, bytes: waiting.bytes)
        } else {
            partial = waiting
        }
    }

    func engineIOSawActivity(_ session: EngineIOSession) {
        for handler in sockets.values { handler.activity() }
    }

    func engineIO(_ session: EngineIOSession, didCloseWith reason: String) {
        connectTimer?.cancel()
        let handlers = sockets
        sockets.removeAll()
        connected.removeAll()
        for handler in handlers.values { handler.disconnected(reason: reason) }
    }

    private func fail(_ why: String) {
        session.close(reason: "parse error: \(why)", notifyPoll: .close)
    }

    // MARK: Packets

    private func dispatch(_ packet: SocketIOPacket, attachments: [ByteBuffer], bytes: Int) {
        if packet.type == .connect {
            sawConnect = true
        } else if !sawConnect {
            fail("the first packet must be CONNECT")
            return
        }
        switch packet.type {
        case .connect:
            guard admitConnect() else {
                session.onLimitHit?("socketio_connects", "too many Socket.IO CONNECT packets on one session")
                session.close(reason: "too many CONNECT packets", notifyPoll: .close)
                return
            }
            guard sockets[packet.namespace] == nil else { return }
            guard let handler = application.handler(for: packet.namespace, connection: self) else {
                send(SocketIOPacket(type: .connectError, namespace: packet.namespace, data: ["message": "Invalid namespace"]))
                session.flush()
                return
            }
            sockets[packet.namespace] = handler
            handler.connect(auth: packet.data)
        case .disconnect:
            guard let handler = sockets.removeValue(forKey: packet.namespace) else { return }
            connected.remove(packet.namespace)
            handler.disconnected(reason: "client namespace disconnect")
        case .event, .binaryEvent:
            guard connected.contains(packet.namespace), let handler = sockets[packet.namespace], let name = packet.eventName
            else { return }
            handler.event(name: name, arguments: packet.eventArguments, ackID: packet.id, attachments: attachments, bytes: bytes)
        case .ack, .binaryAck:
            break  // the server never asks for acks
        case .connectError:
            fail("CONNECT_ERROR from a client")
        }
    }

    private func admitConnect() -> Bool {
        let now = NIODeadline.now().uptimeNanoseconds
        let rate = application.connectRate
        var bucket = connects ?? TokenBucket(capacity: rate.burst, nowNanos: now)
        defer { connects = bucket }
        return bucket.take(nowNanos: now, rate: rate.perMinute / 60, capacity: rate.burst)
    }

    // MARK: Sending (for namespace handlers)

    /// Accepts a CONNECT: `40{"sid":…}` (with the namespace when it is not `/`), plus the `pid` of
    /// connection state recovery when given.
    func accept(namespace: String, pid: String? = nil) {
        guard sockets[namespace] != nil, !connected.contains(namespace) else { return }
        connected.insert(namespace)
        connectTimer?.cancel()
        // Each namespace gets its own socket id, as Socket.IO servers do.
        var data: [String: JSONValue] = ["sid": .string(EngineIOServer.newID())]
        if let pid { data["pid"] = .string(pid) }
        send(SocketIOPacket(type: .connect, namespace: namespace, data: .object(data)))
        session.flush()
    }

    /// Refuses a CONNECT: `44{"message":…}`, with `data` (the client's `err.data`) when given.
    func refuse(namespace: String, message: String, data: JSONValue? = nil) {
        sockets[namespace] = nil
        var body: [String: JSONValue] = ["message": .string(message)]
        if let data { body["data"] = data }
        send(SocketIOPacket(type: .connectError, namespace: namespace, data: .object(body)))
        session.flush()
    }

    /// Emits an event (not flushed).
    func emit(namespace: String = "/", _ name: String, _ arguments: [JSONValue], attachments: [ByteBuffer] = []) {
        let type: SocketIOPacketType = attachments.isEmpty ? .event : .binaryEvent
        send(
            SocketIOPacket(
                type: type, namespace: namespace, data: .array([.string(name)] + arguments), attachments: attachments.count))
        for attachment in attachments { session.send(packet: .binary(attachment)) }
    }

    /// Acknowledges an event (not flushed).
    func ack(namespace: String = "/", id: UInt64, _ arguments: [JSONValue], attachments: [ByteBuffer] = []) {
        let type: SocketIOPacketType = attachments.isEmpty ? .ack : .binaryAck
        send(SocketIOPacket(type: type, namespace: namespace, id: id, data: .array(arguments), attachments: attachments.count))
        for attachment in attachments { session.send(packet: .binary(attachment)) }
    }

    /// Server-side disconnect of a namespace: `41`, and the session closes when no namespace is left
    /// (the client sees "io server disconnect" and does not reconnect by itself).
    func disconnect(namespace: String = "/", closeSession: Bool) {
        if connected.contains(namespace) {
            send(SocketIOPacket(type: .disconnect, namespace: namespace))
            session.flush()
        }
        connected.remove(namespace)
        sockets[namespace] = nil
        if closeSession || sockets.isEmpty { session.close(reason: "server disconnect", notifyPoll: .close, drain: true) }
    }

    private func send(_ packet: SocketIOPacket) {
        var buffer = ByteBuffer()
        buffer.writeInteger(EngineIOPacketType.message.digit)
        SocketIOCodec.encode(packet, into: &buffer)
        session.send(encoded: buffer)
    }

    /// Whether `namespace` is connected.
    func isConnected(_ namespace: String) -> Bool { connected.contains(namespace) }
}
