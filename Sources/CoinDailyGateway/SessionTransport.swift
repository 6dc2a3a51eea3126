import CoinDailyAuthCore
import CoinDailyProtocol
import NIOCore
import NIOWebSocket

/// How a ``ClientSession`` talks to its client, whatever the wire format (plain JSON frames now,
/// Socket.IO packets later). Every method is called on the connection's event loop.
protocol SessionTransport: AnyObject {
    /// Sends a reply or server event and flushes.
    func sendMessage(type: String, data: JSONValue?, replyTo id: String?)
    /// Sends an error (`type` is `error`, or `auth_error` for authentication failures) and flushes.
    func sendError(_ error: ProtocolError, type: String, replyTo id: String?)
    /// Writes a shared, pre-encoded event without flushing; returns false if nothing was written.
    func writeEvent(_ event: OutboundEvent) -> Bool
    /// Flushes what ``writeEvent(_:)`` wrote.
    func flush()
    /// Sends a transport-level keep-alive (a WebSocket ping).
    func sendKeepAlive()
    /// Closes the connection with `code` and `reason`.
    func close(code: WebSocketErrorCode, reason: String)
    /// An `auth` succeeded (default: an `auth_success` message).
    func authSucceeded(_ identity: VerifiedIdentity, replyTo id: String?)
    /// An `auth` failed (default: an `auth_error` message with code `AUTH_FAILED`).
    func authFailed(_ error: ProtocolError, replyTo id: String?)
    /// The session's subscriptions changed (default: nothing; Socket.IO keeps them for recovery).
    func subscriptionsChanged()
    /// Writes replayed events, then calls `completion`, paced by what the transport can take (a long replay
    /// must not count as a slow consumer).
    func writeReplay(_ events: [OutboundEvent], completion: @escaping () -> Void)
}

extension SessionTransport {
    func authSucceeded(_ identity: VerifiedIdentity, replyTo id: String?) {
        sendMessage(type: "auth_success", data: identity.replyData, replyTo: id)
    }

    func authFailed(_ error: ProtocolError, replyTo id: String?) {
        sendError(error, type: "auth_error", replyTo: id)
    }

    func subscriptionsChanged() {}
}

extension VerifiedIdentity {
    /// The `auth_success` data: `{userId, roles, expiresAt}`.
    var replyData: JSONValue {
        ["userId": .string(userId), "roles": .strings(sortedRoles), "expiresAt": .int(expiresAtMillis)]
    }
}
