import CoinDailySocketIO
import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// An Engine.IO v4 server on one path: the long-polling requests (handshake, GET, POST) and the
/// WebSocket transport (direct, or upgraded from polling), with sessions handed to an application.
final class EngineIOServer: Sendable {
    /// The path served (`/ws`, `/socket.io`, …); `path` and `path/` both match.
    let path: String
    let settings: EngineIOSettings
    let registry = EngineIORegistry()
    private let application: any EngineIOApplication
    /// Origins and connection limits (`nil`: none, as in conformance mode).
    let connectionGuard: ConnectionGuard?

    init(path: String, settings: EngineIOSettings, application: any EngineIOApplication, connectionGuard: ConnectionGuard? = nil) {
        self.path = path
        self.settings = settings
        self.application = application
        self.connectionGuard = connectionGuard
    }

    /// Admits a new session from the request's client (origin checked by the caller): sets its client IP
    /// and releases the slot when it closes. Returns the refusal when over a limit.
    private func admit(_ session: EngineIOSession, head: HTTPRequestHead, channel: any Channel, ip: String?) -> ConnectionGuard.Refusal? {
        guard let connectionGuard else {
            session.clientIP = channel.remoteAddress?.ipAddress ?? "unknown"
            return nil
        }
        let clientIP = ip ?? connectionGuard.clientIP(peer: channel.remoteAddress, headers: head.headers)
        session.clientIP = clientIP
        if ip == nil, let refusal = connectionGuard.admit(ip: clientIP) { return refusal }
        session.onClose = { connectionGuard.release(ip: clientIP) }
        let sid = session.id
        session.onLimitHit = { limit, detail in connectionGuard.limitHit(limit, ip: clientIP, session: sid, detail: detail) }
        return nil
    }

    /// Whether `uri` is for this server (its path, with an `EIO` query parameter).
    func matches(uri: String) -> Bool {
        let requestPath = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard requestPath == path || requestPath == path + "/" else { return false }
        return EngineIOQuery.isEngineIO(uri: uri) || path != "/ws"
    }

    // MARK: Long-polling

    /// Handles one HTTP request (not an upgrade) on the request's event loop. `bodyTooLarge`: the body went
    /// over the largest accepted payload and `body` holds only part of it.
    func handle(head: HTTPRequestHead, body: ByteBuffer, bodyTooLarge: Bool, responder: HTTPResponder, channel: any Channel) {
        if let refusal = connectionGuard?.checkOrigin(head.headers, peer: channel.remoteAddress) {
            responder.respond(refusal.status, contentType: "application/json", body: ByteBuffer(string: refusal.body))
            return
        }
        if head.method == .OPTIONS {
            responder.respond(.noContent, contentType: "text/plain", body: ByteBuffer())
            return
        }
        let query = EngineIOQuery(uri: head.uri)
        if let error = query.validate() {
            responder.respond(error)
            return
        }
        guard query.transport == "polling" else {
            responder.respond(.badRequest("websocket transport needs an upgrade request"))
            return
        }
        if let sid = query.sid {
            guard let session = registry.session(sid) else {
                responder.respond(.unknownSession)
                return
            }
            session.eventLoop.execute {
                switch head.method {
                case .GET: session.poll(responder)
                case .POST: session.post(body, tooLarge: bodyTooLarge, responder: responder)
                default: responder.respond(.badRequest("method \(head.method) not allowed"))
                }
            }
            return
        }
        guard head.method == .GET else {
            responder.respond(.badHandshakeMethod)
            return
        }
        let session = EngineIOSession(
            id: Self.newID(), eventLoop: channel.eventLoop, settings: settings, transport: .polling, registry: registry)
        if let refusal = admit(session, head: head, channel: channel, ip: nil) {
            responder.respond(refusal.status, contentType: "application/json", body: ByteBuffer(string: refusal.body))
            return
        }
        registry.add(session)
        session.delegate = application.sessionOpened(session)
        responder.respond(
            .ok, contentType: "text/plain; charset=UTF-8",
            body: ByteBuffer(string: "0" + session.handshakeJSON(upgrades: ["websocket"])))
        session.start()
    }

    // MARK: WebSocket

    /// Whether an upgrade request may become an Engine.IO WebSocket.
    func acceptsUpgrade(_ head: HTTPRequestHead) -> Bool {
        let query = EngineIOQuery(uri: head.uri)
        guard query.validate(expecting: "websocket") == nil else { return false }
        if let sid = query.sid {
            guard let session = registry.session(sid) else { return false }
            // Racy by nature (the session lives on another loop); re-checked when the probe arrives.
            if case .polling = session.transport { return !session.isClosed }
            return false
        }
        return true
    }

    /// The handler for an accepted Engine.IO WebSocket; a new session sends its open packet at once.
    ///
    /// `admittedIP` is the client IP the upgrade was admitted for (its slot is released when the session closes).
    func makeWebSocketHandler(head: HTTPRequestHead, channel: any Channel, admittedIP: String? = nil) -> EngineIOWebSocketHandler? {
        let query = EngineIOQuery(uri: head.uri)
        if let sid = query.sid {
            guard let session = registry.session(sid) else { return nil }
            return EngineIOWebSocketHandler(session: session, isProbe: true)
        }
        let session = EngineIOSession(
            id: Self.newID(), eventLoop: channel.eventLoop, settings: settings, transport: .websocket(channel),
            registry: registry)
        _ = admit(session, head: head, channel: channel, ip: admittedIP)
        registry.add(session)
        session.delegate = application.sessionOpened(session)
        session.send(packet: EngineIOPacket(.open, .text(session.handshakeJSON(upgrades: []))))
        session.flush()
        session.start()
        return EngineIOWebSocketHandler(session: session, isProbe: false)
    }

    /// Closes every session (shutdown).
    func closeAll() {
        for session in registry.all {
            session.eventLoop.execute { session.close(reason: "server shutting down", notifyPoll: .close, webSocketCode: .goingAway) }
        }
    }

    /// A random, URL-safe session id (20 characters).
    static func newID() -> String {
        var bytes = [UInt8](repeating: 0, count: 15)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        return Base64.encode(bytes).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
