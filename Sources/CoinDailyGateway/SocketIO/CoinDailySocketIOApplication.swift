import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import NIOCore
import NIOWebSocket

/// CoinDaily on Socket.IO: namespace `/` only; each socket is a ``ClientSession`` like a plain
/// WebSocket connection, so auth, subscriptions, filters and fan-out are shared.
struct CoinDailySocketIOApplication: SocketIOApplication {
    let context: GatewayContext
    let connectTimeout: Duration
    let maxAttachments: Int

    var connectRate: (burst: Double, perMinute: Double) {
        (context.configuration.security.socketIOConnectBurst, context.configuration.security.socketIOConnectsPerMinute)
    }

    func handler(for namespace: String, connection: SocketIOConnection) -> (any SocketIONamespaceHandler)? {
        guard namespace == "/" else { return nil }
        return CoinDailySocket(connection: connection, context: context)
    }
}

/// One Socket.IO client of CoinDaily: translates Socket.IO events to ``ClientRequest``s and the
/// session's replies to events or acks.
///
/// - CONNECT with `auth.token`: verified first; a bad token is refused with CONNECT_ERROR
///   `{"message":"Authentication failed"}`; a user over the per-user connection limit gets CONNECT_ERROR with
///   its own message and `data: {code: "RATE_LIMIT_EXCEEDED"}`. Without a token the socket is accepted
///   unauthenticated and must send `authenticate` within the auth timeout.
/// - An event sent with an ack gets its reply as the ack's single argument (the plain protocol's
///   message object); without an ack, replies are events (`subscription_confirmed`, `error`, …).
/// - Connection state recovery (Socket.IO v4.6+): the CONNECT reply carries a `pid`, every event its
///   offset as last argument (unless `auth.offsets` is `false`), and the subscriptions are kept in Redis
///   for the recovery window. A CONNECT with `pid`, `offset` and a token of the same user restores them on
///   any gateway and replays what was missed; the reply then carries the same `pid` (the client's
///   `socket.recovered` becomes true). See `docs/delivery.md`.
final class CoinDailySocket: SocketIONamespaceHandler, SessionTransport {
    /// Strong on purpose: a write may close the Engine.IO session (a slow consumer), which releases the
    /// connection while this socket is still in the middle of a call that uses it (an `unowned` reference
    /// crashed the gateway there). The cycle is broken when the connection drops its sockets on close.
    private let connection: SocketIOConnection
    private let context: GatewayContext
    private var session: ClientSession?
    private var awaitingConnectAuth = false
    /// The recovery id of this socket (`nil` when recovery is off, or another socket took it over).
    private var pid: String?
    /// This socket as the owner of its `pid`'s kept state (``SocketIOStateStore``): its Engine.IO session id. A later
    /// socket on the same session (CONNECT again after a DISCONNECT) shares it, harmlessly: the DISCONNECT left a
    /// tombstone, and the new socket has a new `pid`.
    private var owner: String { connection.session.id }
    /// A recovery asked for in the CONNECT: the previous `pid` and the last offset the client got.
    private var recovering: (pid: String, offset: EventID?)?
    /// Whether events carry their offset as last argument.
    private var usesOffsets = false
    /// When the kept state's expiry was last pushed forward.
    private var stateTouched: UInt64 = 0
    /// Whether this socket recovered its `pid` and no takeover of the kept state has succeeded yet.
    private var takingOver = false
    /// Replays waiting to be written, in order, each with its completion (see ``writeReplay(_:completion:)``).
    /// An array, as the plain handler's: empty for almost every socket (no allocation), one or two entries otherwise.
    private var replays: [(events: ArraySlice<OutboundEvent>, completion: () -> Void)] = []

    init(connection: SocketIOConnection, context: GatewayContext) {
        self.connection = connection
        self.context = context
    }

    // MARK: SocketIONamespaceHandler

    func connect(auth: JSONValue?) {
        let hub = context.hub(for: connection.session.eventLoop)
        let session = ClientSession(
            connectionID: UInt64.random(in: 1...UInt64(Int64.max)), context: context, hub: hub, transport: self,
            clientIP: connection.session.clientIP)
        self.session = session
        session.start()
        let delivery = context.configuration.delivery
        if delivery.socketIORecovery {
            pid = EngineIOServer.newID() + EngineIOServer.newID()
            usesOffsets = auth?["offsets"] != .bool(false)
            if let previous = auth?["pid"]?.stringValue, previous.utf8.count <= 64, !previous.isEmpty {
                recovering = (previous, auth?["offset"]?.stringValue.flatMap(EventID.init))
            }
        }
        switch auth?["token"] {
        case .string(let token)? where !token.isEmpty:
            awaitingConnectAuth = true
            session.receive(id: nil, result: .success(.auth(token: token)))
        case nil, .null?:
            recovering = nil
            connection.accept(namespace: "/", pid: pid)
        default:
            refuse()
        }
    }

    func event(name: String, arguments: [JSONValue], ackID: UInt64?, attachments: [ByteBuffer], bytes: Int) {
        guard let session else { return }
        let id = ackID.map { String($0) }
        let maxBytes = context.configuration.maxMessageBytes
        guard bytes <= maxBytes else {
            // The plain protocol's rule: an error for this message, the connection stays.
            session.limitHit("message_size", "message too large", ["bytes": "\(bytes)"])
            session.receive(id: id, result: .failure(.invalidFormat("message too large: \(bytes) bytes, at most \(maxBytes)")))
            return
        }
        guard attachments.isEmpty else {
            session.receive(id: id, result: .failure(.invalidFormat("binary payloads are not supported")))
            return
        }
        let knownTokens = context.knownTokens
        let result: Result<ClientRequest, ProtocolError>
        do {
            result = .success(
                try ClientRequest.decode(
                    type: name, data: arguments.first, limits: context.configuration.requestLimits,
                    isKnownToken: knownTokens.contains))
        } catch {
            result = .failure(error)
        }
        session.receive(id: id, result: result)
    }

    func activity() { session?.touched() }

    func disconnected(reason: String) {
        if reason.hasPrefix("slow consumer") { context.metrics.slowConsumers.increment() }
        if pid != nil {
            if reason == "client namespace disconnect" {
                // An explicit disconnect ends the session: nothing to recover.
                storeState(.close)
            } else {
                touchState(force: true)
            }
        }
        replays.removeAll()
        session?.stop()
        session = nil
    }

    /// Refuses the CONNECT: "Authentication failed" for a bad token; another error (the per-user connection
    /// limit) with its own message and `data: {code}`, so a client does not take it for a token to refresh.
    private func refuse(_ error: ProtocolError? = nil) {
        awaitingConnectAuth = false
        if let error, error.code != .authFailed {
            connection.refuse(namespace: "/", message: error.message, data: ["code": .string(error.code.rawValue)])
        } else {
            connection.refuse(namespace: "/", message: "Authentication failed")
        }
        session?.stop()
        session = nil
    }

    // MARK: Recovery

    /// Loads the kept state of the previous `pid` and restores it; accepts the CONNECT with the old `pid`
    /// when everything missed could be replayed, with the new one otherwise.
    private func recover(_ previous: String, offset: EventID?, identity: VerifiedIdentity, replyTo id: String?) {
        let eventLoop = connection.session.eventLoop
        context.socketIOStates.load(pid: previous).hop(to: eventLoop).assumeIsolated().whenComplete { result in
            guard let session = self.session, !session.isClosed else { return }
            guard case .success(let loaded) = result, let state = loaded else {
                self.acceptAuthenticated(identity, pid: self.pid, replyTo: id)
                return
            }
            session.restore(state, offset: offset) { recovered, deliver in
                if recovered {
                    self.pid = previous
                    self.acceptAuthenticated(identity, pid: previous, replyTo: id)
                    deliver()
                    // This socket owns the pid now: the old one (maybe still half-open elsewhere) can no
                    // longer write over its state. Every write takes it over until one succeeded.
                    self.takingOver = true
                    self.storeState(.takeOver)
                } else {
                    self.acceptAuthenticated(identity, pid: self.pid, replyTo: id)
                }
            }
        }
    }

    private func acceptAuthenticated(_ identity: VerifiedIdentity, pid: String?, replyTo id: String?) {
        connection.accept(namespace: "/", pid: pid)
        var data = identity.replyData.objectValue ?? [:]
        if let pid { data["pid"] = .string(pid) }
        sendMessage(type: "auth_success", data: .object(data), replyTo: id)
    }

    /// Keeps the subscriptions in Redis for the recovery window (pushed forward periodically while connected).
    private func touchState(force: Bool) {
        let now = NIODeadline.now().uptimeNanoseconds
        let window = context.configuration.delivery.socketIORecoveryWindow
        guard force || now &- stateTouched >= UInt64(window.milliseconds / 3) * 1_000_000 else { return }
        stateTouched = now
        storeState(takingOver ? .takeOver : .write)
    }

    /// Writes (or, with ``SocketIOStateStore/Mode/close``, ends) the kept state of this socket's `pid`. A
    /// write refused because another socket recovered the `pid` makes this one give it up.
    private func storeState(_ mode: SocketIOStateStore.Mode) {
        guard let pid else { return }
        let state = mode == .close ? nil : session?.exportState()  // a tombstone carries no state
        guard mode == .close || state != nil else { return }
        let eventLoop = connection.session.eventLoop
        let socket = NIOLoopBound(self, eventLoop: eventLoop)
        context.socketIOStates.store(
            pid: pid, owner: owner, state: state, mode: mode, window: context.configuration.delivery.socketIORecoveryWindow
        ).hop(to: eventLoop).whenSuccess { written in
            let socket = socket.value
            if written, mode == .takeOver { socket.takingOver = false }
            // Only a refusal gives the pid up; a failed write (Redis away or erring) is tried again at the next touch.
            guard !written, socket.pid == pid else { return }
            socket.context.logger.debug("socket.io pid recovered by another socket", metadata: ["pid": "\(pid)"])
            socket.pid = nil
        }
    }

    // MARK: SessionTransport

    func authSucceeded(_ identity: VerifiedIdentity, replyTo id: String?) {
        if awaitingConnectAuth {
            awaitingConnectAuth = false
            if let (previous, offset) = recovering {
                recovering = nil
                recover(previous, offset: offset, identity: identity, replyTo: id)
            } else {
                acceptAuthenticated(identity, pid: pid, replyTo: id)
            }
            return
        }
        var data = identity.replyData.objectValue ?? [:]
        if let pid { data["pid"] = .string(pid) }
        sendMessage(type: "auth_success", data: .object(data), replyTo: id)
    }

    func authFailed(_ error: ProtocolError, replyTo id: String?) {
        if awaitingConnectAuth {
            refuse(error)
            return
        }
        sendError(error, type: "auth_error", replyTo: id)
    }

    func subscriptionsChanged() { touchState(force: true) }

    func sendMessage(type: String, data: JSONValue?, replyTo id: String?) {
        guard connection.isConnected("/") else { return }
        if let id, let ackID = UInt64(id) {
            var reply: [String: JSONValue] = ["type": .string(type), "timestamp": .int(context.clock())]
            if let data { reply["data"] = data }
            connection.ack(id: ackID, [.object(reply)])
        } else {
            connection.emit(type, data.map { [$0] } ?? [])
        }
        connection.session.flush()
    }

    func sendError(_ error: ProtocolError, type: String, replyTo id: String?) {
        guard connection.isConnected("/") else { return }
        let body: JSONValue = ["code": .string(error.code.rawValue), "message": .string(error.message)]
        if let id, let ackID = UInt64(id) {
            connection.ack(id: ackID, [["type": .string(type), "error": body, "timestamp": .int(context.clock())]])
        } else {
            connection.emit(
                type,
                [["code": .string(error.code.rawValue), "message": .string(error.message), "timestamp": .int(context.clock())]])
        }
        connection.session.flush()
    }

    func writeEvent(_ event: OutboundEvent) -> Bool {
        guard connection.isConnected("/") else { return false }
        if usesOffsets {
            connection.session.send(encoded: event.recoverablePacket, frame: event.recoverableFrame)
        } else {
            connection.session.send(encoded: event.socketIOPacket, frame: event.socketIOFrame)
        }
        return true
    }

    func flush() { connection.session.flush() }

    /// Paced like the plain transport's: events are written while the Engine.IO transport has room (a
    /// WebSocket below its high water mark, a polling queue below half its limit), the rest when the
    /// client has read (``EngineIOSession/whenRoom(_:)``). A replay larger than the outbound limit thus
    /// reaches a reading client whole over both transports instead of closing it as a slow consumer.
    func writeReplay(_ events: [OutboundEvent], completion: @escaping () -> Void) {
        replays.append((events[...], completion))
        if replays.count == 1 { pumpReplay() }
    }

    private func pumpReplay() {
        let engine = connection.session
        while !replays.isEmpty {
            guard connection.isConnected("/"), !engine.isClosed else {
                replays.removeAll()  // the session is gone; its completions would deliver nothing
                return
            }
            while let event = replays[0].events.first {
                guard engine.hasRoom else {
                    // Waiting first: the flush itself may drain the socket and report the room.
                    engine.whenRoom { [weak self] in self?.pumpReplay() }
                    engine.flush()
                    return
                }
                replays[0].events.removeFirst()
                _ = writeEvent(event)
                // One event bigger than the whole polling queue closes the session inside that write, and
                // the close empties `replays`.
                guard !replays.isEmpty, !engine.isClosed else {
                    replays.removeAll()
                    return
                }
            }
            let done = replays.removeFirst()
            engine.flush()
            done.completion()
        }
    }

    /// Engine.IO has its own heartbeat; this tick keeps the recovery state alive in Redis.
    func sendKeepAlive() { touchState(force: false) }

    func close(code: WebSocketErrorCode, reason: String) {
        if CloseCode.meansResume(code) {
            // Shutdown, slow consumer, lost state: close the transport only, so the client reconnects (to
            // another gateway) and recovers.
            connection.session.close(reason: reason, notifyPoll: .close, webSocketCode: code)
        } else {
            // Auth timeout, token expiry or revocation, limits: a server disconnect ("io server disconnect"),
            // no automatic reconnect.
            if code == CloseCode.tokenRevoked || code == CloseCode.rateLimited {
                storeState(.close)
                self.pid = nil
            }
            connection.disconnect(namespace: "/", closeSession: true)
        }
        session?.stop()
        session = nil
    }
}
