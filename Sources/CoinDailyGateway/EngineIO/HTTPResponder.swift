import NIOCore
import NIOHTTP1

/// Answers one HTTP request, possibly later and from another event loop (a held long-polling GET).
///
/// Writes go through the channel (thread-safe), so any loop may answer; only the first answer counts.
final class HTTPResponder: @unchecked Sendable {
    // Mutated only on `channel.eventLoop` (through `execute`) or before the responder is shared.
    private var answered = false
    private let channel: any Channel
    private let version: HTTPVersion
    private let keepAlive: Bool
    private let extraHeaders: HTTPHeaders
    /// Called (on the channel's loop) when the client goes away before an answer was sent.
    var onAbandoned: (@Sendable () -> Void)?

    init(channel: any Channel, head: HTTPRequestHead, extraHeaders: HTTPHeaders = [:]) {
        self.channel = channel
        self.version = head.version
        self.keepAlive = head.isKeepAlive
        self.extraHeaders = extraHeaders
    }

    /// The event loop of the request's connection.
    var eventLoop: any EventLoop { channel.eventLoop }

    /// Sends the response (once; later calls do nothing).
    func respond(_ status: HTTPResponseStatus, contentType: String, body: ByteBuffer) {
        let channel = self.channel
        channel.eventLoop.execute {
            guard !self.answered else { return }
            self.answered = true
            var headers = self.extraHeaders
            headers.replaceOrAdd(name: "Content-Type", value: contentType)
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
            headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            headers.replaceOrAdd(name: "Connection", value: self.keepAlive ? "keep-alive" : "close")
            let head = HTTPResponseHead(version: self.version, status: status, headers: headers)
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(body)), promise: nil)
            let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !self.keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
        }
    }

    /// Sends an Engine.IO HTTP error.
    func respond(_ error: EngineIOHTTPError) {
        respond(error.status, contentType: "application/json", body: ByteBuffer(string: error.body))
    }

    /// The connection closed: if no answer was sent, tell whoever waits for it.
    func connectionClosed() {
        guard !answered else { return }
        answered = true
        onAbandoned?()
    }

    /// Whether an answer was sent (read on the channel's loop).
    var isAnswered: Bool { answered }
}
