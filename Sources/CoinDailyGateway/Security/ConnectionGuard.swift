import CoinDailyProtocol
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Decides, for the whole gateway, whether a new connection may open: origin, connection attempts per
/// IP per second, open connections per IP, and (after authentication) open connections per user.
/// Safe from any event loop; every refusal is counted in ``GatewayMetrics/limitHits(_:)``.
public final class ConnectionGuard: Sendable {
    /// Why a connection was refused.
    public enum Refusal: Error, Equatable, Sendable {
        /// The `Origin` is not allowed (HTTP 403).
        case originNotAllowed(String)
        /// Too many new connections from this IP just now (HTTP 429).
        case tooManyAttempts(ip: String)
        /// Too many open connections from this IP (HTTP 429).
        case tooManyConnectionsFromIP(ip: String, limit: Int)

        /// The HTTP status.
        public var status: HTTPResponseStatus {
            if case .originNotAllowed = self { return .forbidden }
            return .tooManyRequests
        }

        /// The error code in the JSON body.
        public var code: String {
            switch self {
            case .originNotAllowed: "ORIGIN_NOT_ALLOWED"
            case .tooManyAttempts, .tooManyConnectionsFromIP: "RATE_LIMIT_EXCEEDED"
            }
        }

        /// The message in the JSON body.
        public var message: String {
            switch self {
            case .originNotAllowed(let origin): "origin not allowed: \(origin.prefix(100))"
            case .tooManyAttempts: "too many connection attempts from this address, retry in a second"
            case .tooManyConnectionsFromIP(_, let limit): "too many connections from this address (at most \(limit))"
            }
        }

        /// The metric label.
        public var limit: String {
            switch self {
            case .originNotAllowed: "origin"
            case .tooManyAttempts: "connection_rate_per_ip"
            case .tooManyConnectionsFromIP: "connections_per_ip"
            }
        }

        /// `{"error":{"code","message"}}`.
        public var body: String {
            JSONWriter.string(["error": ["code": .string(code), "message": .string(message)]])
        }
    }

    private struct State {
        var perIP: [String: Int] = [:]
        var perUser: [String: Int] = [:]
        var attempts: [String: TokenBucket] = [:]
        var lastPrune: UInt64 = 0
        /// When a refusal was last logged per IP (at most one audit line per IP per second).
        var lastLogged: [String: UInt64] = [:]
    }

    private let settings: SecuritySettings
    private let origins: OriginPolicy
    private let resolver: ClientAddressResolver
    private let metrics: GatewayMetrics
    private let logger: Logger?
    private let state = Mutex(State())

    /// Creates a guard; refusals are logged as audit lines to `logger` (at most one per IP per second).
    public init(settings: SecuritySettings, metrics: GatewayMetrics, logger: Logger? = nil) {
        self.settings = settings
        self.origins = OriginPolicy(allowed: settings.allowedOrigins)
        self.resolver = ClientAddressResolver(trustedProxies: settings.trustedProxies)
        self.metrics = metrics
        self.logger = logger
    }

    /// An audit line for a refused connection: `audit=connection_refused`, `limit`, `client.ip`.
    private func audit(_ refusal: Refusal, ip: String, nowNanos: UInt64 = NIODeadline.now().uptimeNanoseconds) {
        guard let logger else { return }
        let due = state.withLock { state in
            // Refusals by origin never pass through ``admit(ip:)``: prune here too, or a flood of bad origins from
            // many addresses would grow this map.
            prune(&state, nowNanos: nowNanos)
            if let last = state.lastLogged[ip], nowNanos &- last < 1_000_000_000 { return false }
            state.lastLogged[ip] = nowNanos
            return true
        }
        guard due else { return }
        logger.notice(
            "connection refused: \(refusal.message)",
            metadata: ["audit": "connection_refused", "limit": "\(refusal.limit)", "client.ip": "\(ip)"])
    }

    /// A limit hit below the client sessions (an oversized Engine.IO frame or POST, too many Socket.IO CONNECTs):
    /// counted in `coindaily_gateway_limit_hits_total{limit}` and logged as the audit line `audit=limit_<limit>`
    /// with the client IP and, when given, the Engine.IO session id (`engineio.sid`).
    public func limitHit(_ limit: String, ip: String, session: String? = nil, detail: String) {
        metrics.limitHit(limit)
        var metadata: Logger.Metadata = ["audit": "limit_\(limit)", "limit": "\(limit)", "client.ip": "\(ip)"]
        if let session { metadata["engineio.sid"] = "\(session)" }
        logger?.notice("limit hit: \(detail)", metadata: metadata)
    }

    /// The client IP of a request (``ClientAddressResolver``).
    public func clientIP(peer: SocketAddress?, headers: HTTPHeaders) -> String {
        resolver.clientIP(peer: peer, headers: headers)
    }

    /// Whether the request's `Origin` (if any) is allowed; counts a refusal.
    public func checkOrigin(_ headers: HTTPHeaders, peer: SocketAddress? = nil) -> Refusal? {
        let origin = headers.first(name: "Origin")
        guard origins.allows(origin) else {
            metrics.limitHit("origin")
            let refusal = Refusal.originNotAllowed(origin ?? "")
            audit(refusal, ip: clientIP(peer: peer, headers: headers))
            return refusal
        }
        return nil
    }

    /// Whether the request's `Origin` (if any) is allowed, without counting.
    public func checkOriginQuietly(_ headers: HTTPHeaders) -> Bool {
        origins.allows(headers.first(name: "Origin"))
    }

    /// Admits a new connection from `ip` (origin checked separately): on success the caller must call
    /// ``release(ip:)`` exactly once when it closes.
    public func admit(ip: String, nowNanos: UInt64 = NIODeadline.now().uptimeNanoseconds) -> Refusal? {
        let refusal: Refusal? = state.withLock { state in
            prune(&state, nowNanos: nowNanos)
            let rate = settings.connectionAttemptsPerIPPerSecond
            var bucket = state.attempts[ip] ?? TokenBucket(capacity: rate * 2, nowNanos: nowNanos)
            let allowed = bucket.take(nowNanos: nowNanos, rate: rate, capacity: rate * 2)
            state.attempts[ip] = bucket
            guard allowed else { return .tooManyAttempts(ip: ip) }
            let open = state.perIP[ip, default: 0]
            guard open < settings.maxConnectionsPerIP else {
                return .tooManyConnectionsFromIP(ip: ip, limit: settings.maxConnectionsPerIP)
            }
            state.perIP[ip] = open + 1
            return nil
        }
        if let refusal {
            metrics.limitHit(refusal.limit)
            audit(refusal, ip: ip, nowNanos: nowNanos)
        }
        return refusal
    }

    /// A connection admitted by ``admit(ip:nowNanos:)`` closed.
    public func release(ip: String) {
        state.withLock { state in
            guard let open = state.perIP[ip] else { return }
            state.perIP[ip] = open > 1 ? open - 1 : nil
        }
    }

    /// Admits one more authenticated connection of `user`; `false` (counted) when it has the most allowed.
    /// On success the caller must call ``releaseUser(_:)`` once when the connection closes.
    public func admitUser(_ user: String) -> Bool {
        let allowed = state.withLock { state in
            let open = state.perUser[user, default: 0]
            guard open < settings.maxConnectionsPerUser else { return false }
            state.perUser[user] = open + 1
            return true
        }
        if !allowed { metrics.limitHit("connections_per_user") }
        return allowed
    }

    /// A connection admitted by ``admitUser(_:)`` closed.
    public func releaseUser(_ user: String) {
        state.withLock { state in
            guard let open = state.perUser[user] else { return }
            state.perUser[user] = open > 1 ? open - 1 : nil
        }
    }

    /// Open connections counted for `ip` (tests, metrics).
    public func openConnections(ip: String) -> Int { state.withLock { $0.perIP[ip, default: 0] } }

    /// Drops full attempt buckets once a second, so the table holds only recently active IPs.
    private func prune(_ state: inout State, nowNanos: UInt64) {
        guard nowNanos &- state.lastPrune > 1_000_000_000 else { return }
        state.lastPrune = nowNanos
        let rate = settings.connectionAttemptsPerIPPerSecond
        state.attempts = state.attempts.filter { !$0.value.isFull(nowNanos: nowNanos, rate: rate, capacity: rate * 2) }
        state.lastLogged = state.lastLogged.filter { nowNanos &- $0.value < 1_000_000_000 }
    }
}
