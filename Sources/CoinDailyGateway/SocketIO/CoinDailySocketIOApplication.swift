import CoinDailyAuthCore
import CoinDailyProtocol
import NIOCore
import NIOWebSocket

/// CoinDaily on Socket.IO: namespace `/` only; each socket is a ``ClientSession`` like a plain
/// WebSocket connection, so auth, subscriptions, filters and fan-out are shared.
struct CoinDailySocketIOApplication: SocketIOApplication {
    let context: GatewayContext
    let connectTimeout: Duration
    let maxAttachments: Int

    func handler(for namespace: String, connection: SocketIOConnection) -> (any SocketIONamespaceHandler)? {
        guard namespace == "/" else { return nil }
        return CoinDailySocket(connection: connection, context: context)
    }
}

/// One Socket.IO client of CoinDaily: translates Socket.IO events to ``ClientRequest``s and the
/// session's replies to events or acks.
///
/// - CONNECT with `auth.token`: verified first; a bad token is refused with CONNECT_ERROR
///   `{"message":"Authentication failed"}`. Without a token the socket is accepted unauthenticated and
///   must send `authenticate` within the auth timeout.
/// - An event sent with an ack gets its reply as the ack's single argument (the plain protocol's
///   message object); without an ack, replies are events (`subscription_confirmed`, `error`, …).
final class CoinDailySocket: SocketIONamespaceHandler, SessionTransport {
    private unowned let connection: SocketIOConnection
    private let context: GatewayContext
    private var session: ClientSession?
    private var awaitingConnectAuth = false

    init(connection: SocketIOConnection, context: GatewayContext) {
        self.connection = connection
        self.context = context
    }

    // MARK: SocketIONamespaceHandler

    func connect(auth: JSONValue?) {
        let hub = context.hub(for: connection.session.eventLoop)
        let session = ClientSession(
            connectionID: UInt64.random(in: 1...UInt64(Int64.max)), context: context, hub: hub, transport: self,
            remote: "socket.io:\(connection.session.id)")
        self.session = session
        session.start()
        switch auth?["token"] {
        case .string(let token)? where !token.isEmpty:
            awaitingConnectAuth = true
            session.receive(id: nil, result: .success(.auth(token: token)))
        case nil, .null?:
            connection.accept(namespace: "/")
        default:
            refuse()
        }
    }

    func event(name: String, arguments: [JSONValue], ackID: UInt64?, attachments: [ByteBuffer]) {
        guard let session else { return }
        let id = ackID.map { String($0) }
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
        session?.stop()
        session = nil
    }

    private func refuse() {
        awaitingConnectAuth = false
        connection.refuse(namespace: "/", message: "Authentication failed")
        session?.stop()
        session = nil
    }

    // MARK: SessionTransport

    func authSucceeded(_ identity: VerifiedIdentity, replyTo id: String?) {
        if awaitingConnectAuth {
            awaitingConnectAuth = false
            connection.accept(namespace: "/")
        }
        sendMessage(type: "auth_success", data: identity.replyData, replyTo: id)
    }

    func authFailed(_ error: ProtocolError, replyTo id: String?) {
        if awaitingConnectAuth {
            refuse()
            return
        }
        sendError(error, type: "auth_error", replyTo: id)
    }

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
        connection.session.send(encoded: event.socketIOPacket, frame: event.socketIOFrame)
        return true
    }

    func flush() { connection.session.flush() }

    /// Engine.IO has its own heartbeat.
    func sendKeepAlive() {}

    func close(code: WebSocketErrorCode, reason: String) {
        if code == .goingAway {
            // Shutdown: close the transport only, so the client reconnects (to another gateway).
            connection.session.close(reason: reason, notifyPoll: .close, webSocketCode: .goingAway)
        } else {
            // Auth timeout, token expiry: a server disconnect ("io server disconnect"), no auto-reconnect.
            connection.disconnect(namespace: "/", closeSession: true)
        }
        session?.stop()
    }
}
