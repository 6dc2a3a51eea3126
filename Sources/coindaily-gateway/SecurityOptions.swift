import ArgumentParser
import CoinDailyGateway
import CoinDailyService
import Foundation

/// The gateway's limit, origin, proxy and TLS flags (each with an environment variable).
struct SecurityOptions: ParsableArguments {
    @Option(help: "Client messages per second per connection, on average (GATEWAY_RATE_LIMIT_PER_SECOND).")
    var rateLimitPerSecond: Double = Env.double("GATEWAY_RATE_LIMIT_PER_SECOND", 20)
    @Option(help: "Client message burst per connection (GATEWAY_RATE_LIMIT_BURST).")
    var rateLimitBurst: Double = Env.double("GATEWAY_RATE_LIMIT_BURST", 40)
    @Option(help: "Rate-limited messages within the window before the connection is closed with 4029 (GATEWAY_RATE_LIMIT_STRIKES).")
    var rateLimitStrikes: Int = Env.int("GATEWAY_RATE_LIMIT_STRIKES", 40)
    @Option(help: "The strike window, ms (GATEWAY_RATE_LIMIT_WINDOW_MS).")
    var rateLimitWindowMs: Int = Env.int("GATEWAY_RATE_LIMIT_WINDOW_MS", 10_000)
    @Option(help: "Open connections per client IP (GATEWAY_MAX_CONNECTIONS_PER_IP).")
    var maxConnectionsPerIP: Int = Env.int("GATEWAY_MAX_CONNECTIONS_PER_IP", 1000)
    @Option(help: "Authenticated connections per user (GATEWAY_MAX_CONNECTIONS_PER_USER).")
    var maxConnectionsPerUser: Int = Env.int("GATEWAY_MAX_CONNECTIONS_PER_USER", 100)
    @Option(help: "New connections per client IP per second, bursts of twice that (GATEWAY_CONNECTION_RATE_PER_IP).")
    var connectionRatePerIP: Double = Env.double("GATEWAY_CONNECTION_RATE_PER_IP", 100)
    @Option(help: "Socket.IO CONNECT packets one session may send at once; beyond the rate the session is closed (GATEWAY_SOCKETIO_CONNECT_BURST).")
    var socketIOConnectBurst: Double = Env.double("GATEWAY_SOCKETIO_CONNECT_BURST", 5)
    @Option(help: "Socket.IO CONNECT packets per session per minute after the burst (GATEWAY_SOCKETIO_CONNECTS_PER_MINUTE).")
    var socketIOConnectsPerMinute: Double = Env.double("GATEWAY_SOCKETIO_CONNECTS_PER_MINUTE", 6)
    @Option(help: "Allowed browser origins, comma-separated: *, https://app.example.com, http://localhost:*, https://*.example.com (GATEWAY_ALLOWED_ORIGINS).")
    var allowedOrigins: String = Env.string("GATEWAY_ALLOWED_ORIGINS", "*")
    @Option(help: "Proxies whose X-Forwarded-For is trusted, comma-separated addresses or CIDRs (GATEWAY_TRUSTED_PROXIES).")
    var trustedProxies: String = Env.string("GATEWAY_TRUSTED_PROXIES", "")
    @Option(help: "Send token_expiring this long before exp, ms (GATEWAY_TOKEN_EXPIRY_WARNING_MS).")
    var tokenExpiryWarningMs: Int = Env.int("GATEWAY_TOKEN_EXPIRY_WARNING_MS", 60_000)
    @Option(help: "Keep a user revocation this long, seconds: the longest token lifetime, as the auth service's AUTH_MAX_TTL (GATEWAY_REVOCATION_RETENTION_SECONDS).")
    var revocationRetentionSeconds: Int = Env.int("GATEWAY_REVOCATION_RETENTION_SECONDS", 86_400)
    @Option(name: .customLong("tls-cert"), help: "TLS certificate chain, PEM (GATEWAY_TLS_CERT); with --tls-key the gateway serves wss/https.")
    var tlsCertFlag: String?
    @Option(name: .customLong("tls-key"), help: "TLS private key, PEM (GATEWAY_TLS_KEY).")
    var tlsKeyFlag: String?
    /// The certificate chain path: `--tls-cert`, else `GATEWAY_TLS_CERT`.
    var tlsCert: String? { tlsCertFlag ?? Env.optional("GATEWAY_TLS_CERT") }
    /// The private key path: `--tls-key`, else `GATEWAY_TLS_KEY`.
    var tlsKey: String? { tlsKeyFlag ?? Env.optional("GATEWAY_TLS_KEY") }

    func validate() throws {
        guard rateLimitPerSecond > 0, rateLimitBurst >= 1, rateLimitStrikes > 0, rateLimitWindowMs > 0 else {
            throw ValidationError("rate limit settings must be positive")
        }
        guard maxConnectionsPerIP > 0, maxConnectionsPerUser > 0, connectionRatePerIP > 0, socketIOConnectBurst >= 1,
            socketIOConnectsPerMinute > 0
        else {
            throw ValidationError("connection limits must be positive")
        }
        guard revocationRetentionSeconds > 0 else { throw ValidationError("--revocation-retention-seconds must be positive") }
        let invalid = ClientAddressResolver.invalid(list(trustedProxies))
        guard invalid.isEmpty else { throw ValidationError("--trusted-proxies: not an address or CIDR: \(invalid)") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    /// The settings.
    var settings: SecuritySettings {
        var settings = SecuritySettings()
        settings.messagesPerSecond = rateLimitPerSecond
        settings.messageBurst = rateLimitBurst
        settings.rateLimitStrikes = rateLimitStrikes
        settings.rateLimitWindow = .milliseconds(rateLimitWindowMs)
        settings.maxConnectionsPerIP = maxConnectionsPerIP
        settings.maxConnectionsPerUser = maxConnectionsPerUser
        settings.connectionAttemptsPerIPPerSecond = connectionRatePerIP
        settings.socketIOConnectBurst = socketIOConnectBurst
        settings.socketIOConnectsPerMinute = socketIOConnectsPerMinute
        settings.allowedOrigins = list(allowedOrigins)
        settings.trustedProxies = list(trustedProxies)
        settings.tokenExpiryWarning = .milliseconds(tokenExpiryWarningMs)
        settings.revocationRetention = .seconds(revocationRetentionSeconds)
        return settings
    }

    /// The TLS files, when both are given.
    var tls: TLSFiles? {
        guard let tlsCert, let tlsKey else { return nil }
        return TLSFiles(certificatePath: tlsCert, privateKeyPath: tlsKey)
    }

    private func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
