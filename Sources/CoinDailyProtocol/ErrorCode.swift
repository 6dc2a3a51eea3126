/// The error codes of the CoinDaily WebSocket protocol (spec, "Common Error Codes").
public enum ErrorCode: String, Sendable, CaseIterable {
    /// Authentication needed: a message other than `auth` arrived before authentication.
    case authRequired = "AUTH_REQUIRED"
    /// The token is invalid, expired, revoked or signed by an unknown key.
    case authFailed = "AUTH_FAILED"
    /// Invalid subscription parameters, or a subscription the token does not allow.
    case subscriptionFailed = "SUBSCRIPTION_FAILED"
    /// Too many messages.
    case rateLimitExceeded = "RATE_LIMIT_EXCEEDED"
    /// Malformed message: not JSON, not an object, missing or unknown `type`, wrong field types, too big.
    case invalidMessageFormat = "INVALID_MESSAGE_FORMAT"
    /// Internal server error: retry with backoff.
    case serverError = "SERVER_ERROR"
    /// The connection timed out (for example no authentication in time).
    case connectionTimeout = "CONNECTION_TIMEOUT"
}

/// An error to report to a client: a code and a human-readable message.
public struct ProtocolError: Error, Equatable, Sendable {
    /// The spec's error code.
    public var code: ErrorCode
    /// What went wrong, for a person.
    public var message: String
    /// The configured limit the request went over (a `limit` label of `coindaily_gateway_limit_hits_total`,
    /// e.g. `tokens_per_request`), when that is what went wrong.
    public var limit: String?

    /// Creates an error.
    public init(_ code: ErrorCode, _ message: String, limit: String? = nil) {
        self.code = code
        self.message = message
        self.limit = limit
    }

    /// A malformed message.
    public static func invalidFormat(_ message: String) -> ProtocolError { .init(.invalidMessageFormat, message) }
    /// Bad or forbidden subscription parameters.
    public static func subscription(_ message: String) -> ProtocolError { .init(.subscriptionFailed, message) }
}
