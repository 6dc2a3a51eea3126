import CoinDailyProtocol
import NIOCore

/// The Socket.IO application the official v5 test suite expects: namespaces `/` and `/custom`; on
/// connect it emits `auth` with the CONNECT payload; `message` comes back as `message-back`;
/// `message-with-ack` is acknowledged with its arguments (attachments included).
struct ConformanceSocketIOApplication: SocketIOApplication {
    let connectTimeout: Duration
    let maxAttachments: Int

    func handler(for namespace: String, connection: SocketIOConnection) -> (any SocketIONamespaceHandler)? {
        guard namespace == "/" || namespace == "/custom" else { return nil }
        return EchoSocket(namespace: namespace, connection: connection)
    }

    final class EchoSocket: SocketIONamespaceHandler {
        let namespace: String
        /// Strong, like ``CoinDailySocket``'s: a write may close and release the connection mid-call.
        let connection: SocketIOConnection

        init(namespace: String, connection: SocketIOConnection) {
            self.namespace = namespace
            self.connection = connection
        }

        func connect(auth: JSONValue?) {
            connection.accept(namespace: namespace)
            connection.emit(namespace: namespace, "auth", [auth ?? [:]])
            connection.session.flush()
        }

        func event(name: String, arguments: [JSONValue], ackID: UInt64?, attachments: [ByteBuffer], bytes: Int) {
            switch name {
            case "message":
                connection.emit(namespace: namespace, "message-back", arguments, attachments: attachments)
            case "message-with-ack":
                if let ackID { connection.ack(namespace: namespace, id: ackID, arguments, attachments: attachments) }
            default:
                break
            }
            connection.session.flush()
        }

        func activity() {}
        func disconnected(reason: String) {}
    }
}

/// The Engine.IO echo server the official v4 test suite expects: every message comes back.
struct EngineIOEchoApplication: EngineIOApplication {
    func sessionOpened(_ session: EngineIOSession) -> any EngineIOSessionDelegate { Echo() }

    final class Echo: EngineIOSessionDelegate {
        func engineIO(_ session: EngineIOSession, didReceiveText text: String) {
            session.send(packet: .message(text))
            session.flush()
        }

        func engineIO(_ session: EngineIOSession, didReceiveBinary bytes: ByteBuffer) {
            session.send(packet: .binary(bytes))
            session.flush()
        }

        func engineIOSawActivity(_ session: EngineIOSession) {}
        func engineIO(_ session: EngineIOSession, didCloseWith reason: String) {}
    }
}
