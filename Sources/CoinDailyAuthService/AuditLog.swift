import Logging
import Metrics

/// Writes audit lines: one `notice` line per ``AuditEvent`` with metadata `audit: "<event>"` and what is
/// known of `user.id`, `token.jti`, `client.ip`, `key.kid` — never a token or a refresh token — and counts
/// each event.
struct AuditLog: Sendable {
    let logger: Logger
    private let counters: [AuditEvent: Counter]

    init(logger: Logger) {
        self.logger = logger
        var counters: [AuditEvent: Counter] = [:]
        for event in AuditEvent.allCases {
            counters[event] = Counter(label: "coindaily_auth_audit_events_total", dimensions: [("event", event.rawValue)])
        }
        self.counters = counters
    }

    /// Logs and counts one event.
    func record(
        _ event: AuditEvent, _ message: String, userID: String? = nil, tokenID: String? = nil, clientIP: String? = nil,
        extra: Logger.Metadata = [:]
    ) {
        var metadata = extra
        metadata["audit"] = .string(event.rawValue)
        if let userID { metadata["user.id"] = .string(userID) }
        if let tokenID { metadata["token.jti"] = .string(tokenID) }
        if let clientIP { metadata["client.ip"] = .string(clientIP) }
        counters[event]?.increment()
        logger.notice("\(message)", metadata: metadata)
    }
}
