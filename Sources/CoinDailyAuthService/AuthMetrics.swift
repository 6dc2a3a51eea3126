import Metrics

/// The auth service's metrics besides the audit-event counters of ``AuditLog``.
struct AuthMetrics: Sendable {
    /// Tokens issued (by `/v1/tokens` and `/v1/refresh`).
    let issued = Counter(label: "coindaily_auth_tokens_issued_total")
    /// Admin calls (`/v1/tokens`, `/v1/revoke`, `/v1/keys/rotate`) refused for a missing or wrong API key.
    let unauthorized = Counter(label: "coindaily_auth_requests_rejected_total", dimensions: [("reason", "unauthorized")])
    /// Requests refused for a bad body.
    let invalid = Counter(label: "coindaily_auth_requests_rejected_total", dimensions: [("reason", "invalid")])
    /// Refresh tokens that were unknown, used or expired.
    let refreshRejected = Counter(label: "coindaily_auth_requests_rejected_total", dimensions: [("reason", "refresh_token")])
    /// Requests that failed because Redis was unreachable.
    let unavailable = Counter(label: "coindaily_auth_requests_rejected_total", dimensions: [("reason", "unavailable")])
}
