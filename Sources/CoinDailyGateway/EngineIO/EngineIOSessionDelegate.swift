import NIOCore

/// What runs on top of an Engine.IO session (Socket.IO, or the conformance echo server). Called on
/// the session's event loop.
protocol EngineIOSessionDelegate: AnyObject {
    /// A text message packet arrived (its text without the leading `4`).
    func engineIO(_ session: EngineIOSession, didReceiveText text: String)
    /// A binary message arrived.
    func engineIO(_ session: EngineIOSession, didReceiveBinary bytes: ByteBuffer)
    /// Any packet arrived (a sign of life, pongs included).
    func engineIOSawActivity(_ session: EngineIOSession)
    /// The session is closed (by either side, or a timeout); nothing can be sent any more.
    func engineIO(_ session: EngineIOSession, didCloseWith reason: String)
}

/// Creates the delegate of each new Engine.IO session.
protocol EngineIOApplication: Sendable {
    /// A session opened; returns what handles its messages.
    func sessionOpened(_ session: EngineIOSession) -> any EngineIOSessionDelegate
}
