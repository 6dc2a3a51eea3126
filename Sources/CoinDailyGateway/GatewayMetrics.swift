import CoinDailyProtocol
import Metrics

/// The gateway's metrics, created once and shared; hot-path counters are incremented once per batch.
public struct GatewayMetrics: Sendable {
    /// Open WebSocket connections.
    public let connections = Meter(label: "coindaily_gateway_connections")
    /// Connections accepted since start.
    public let connectionsAccepted = Counter(label: "coindaily_gateway_connections_accepted_total")
    /// Redis channels this gateway is subscribed to.
    public let redisChannels = Meter(label: "coindaily_gateway_redis_channels")
    /// Client subscriptions (connection × kind).
    public let subscriptions = Meter(label: "coindaily_gateway_subscriptions")
    /// Messages received from clients.
    public let messagesIn = Counter(label: "coindaily_gateway_messages_in_total")
    /// Event frames written to clients (fan-out deliveries).
    public let messagesOut = Counter(label: "coindaily_gateway_messages_out_total")
    /// Fan-out flushes: one per connection per flush round (frames written ÷ this = frames per system call).
    public let connectionFlushes = Counter(label: "coindaily_gateway_connection_flushes_total")
    /// Events received from Redis.
    public let redisMessages = Counter(label: "coindaily_gateway_redis_messages_total")
    /// Published payloads that were not a known event and were dropped.
    public let redisMessagesDropped = Counter(label: "coindaily_gateway_redis_messages_dropped_total")
    /// Connections cut off as slow consumers.
    public let slowConsumers = Counter(label: "coindaily_gateway_slow_consumer_disconnects_total")
    /// Redis reconnects (commands and subscriber connections).
    public let redisReconnects = Counter(label: "coindaily_gateway_redis_reconnects_total")
    /// Authentications that succeeded.
    public let authSuccess = Counter(label: "coindaily_gateway_auth_total", dimensions: [("result", "success")])
    /// Authentications that failed.
    public let authFailure = Counter(label: "coindaily_gateway_auth_total", dimensions: [("result", "failure")])

    private let errorCounters: [ErrorCode: Counter]

    /// Creates the metrics.
    public init() {
        var counters: [ErrorCode: Counter] = [:]
        for code in ErrorCode.allCases {
            counters[code] = Counter(label: "coindaily_gateway_errors_total", dimensions: [("code", code.rawValue)])
        }
        self.errorCounters = counters
    }

    /// Counts an error sent to a client.
    /// A limit refused something: `coindaily_gateway_limit_hits_total{limit="<name>"}` (names in `docs/security.md`).
    public func limitHit(_ limit: String) {
        Counter(label: "coindaily_gateway_limit_hits_total", dimensions: [("limit", limit)]).increment()
    }

    /// Connections closed because their token was revoked.
    public let revokedDisconnects = Counter(label: "coindaily_gateway_revoked_disconnects_total")
    /// Resumes by outcome: `recovered`, `not_recovered` (history could not give it), `unavailable` (Redis).
    public func resume(_ outcome: String) {
        Counter(label: "coindaily_gateway_resumes_total", dimensions: [("outcome", outcome)]).increment()
    }

    public func error(_ code: ErrorCode) { errorCounters[code]?.increment() }
}
