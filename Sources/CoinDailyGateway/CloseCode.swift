import NIOWebSocket

/// The WebSocket close codes the gateway sends, and what a client should do (see `docs/protocol.md`).
public enum CloseCode {
    /// 1000: normal closure (the client asked).
    public static let normal = WebSocketErrorCode.normalClosure
    /// 1001: the gateway is shutting down; reconnect (to another gateway).
    public static let goingAway = WebSocketErrorCode.goingAway
    /// 1008: policy violation: no authentication in time, or the token expired.
    public static let policyViolation = WebSocketErrorCode.policyViolation
    /// 1009: a frame above the hard size cap.
    public static let messageTooBig = WebSocketErrorCode.messageTooLarge
    /// 1011: unexpected server error.
    public static let serverError = WebSocketErrorCode.unexpectedServerError
    /// 3008: slow consumer (Centrifugo's "slow"): the client did not read fast enough; reconnect.
    public static let slowConsumer = WebSocketErrorCode(codeNumber: 3008)
    /// 4000: idle timeout: no frame from the client within the idle timeout.
    public static let idleTimeout = WebSocketErrorCode(codeNumber: 4000)
}
