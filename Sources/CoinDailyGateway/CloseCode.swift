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
    /// 3010: insufficient state (Centrifugo's code): the gateway lost events it could not recover for this
    /// connection (Redis was away longer than the history keeps); reconnect and resume with `since`.
    public static let insufficientState = WebSocketErrorCode(codeNumber: 3010)
    /// 4000: idle timeout: no frame from the client within the idle timeout.
    public static let idleTimeout = WebSocketErrorCode(codeNumber: 4000)
    /// 4001: the token was revoked; do not reconnect with the same token.
    public static let tokenRevoked = WebSocketErrorCode(codeNumber: 4001)
    /// 4008: too many connections for this user; close another one first.
    public static let tooManyConnections = WebSocketErrorCode(codeNumber: 4008)
    /// 4029: the client kept sending over its rate limit; reconnect later and send less.
    public static let rateLimited = WebSocketErrorCode(codeNumber: 4029)

    /// Whether a client should reconnect at once and resume (no loss within the history window).
    public static func meansResume(_ code: WebSocketErrorCode) -> Bool {
        code == goingAway || code == slowConsumer || code == insufficientState
    }
}
