import ArgumentParser
import CoinDailyAuthService
import CoinDailyRedis
import CoinDailyService
import Foundation
import NIOPosix
import ServiceLifecycle

/// `coindaily-auth`: parses flags (each with an environment variable) and runs the auth service.
@main
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily-auth", abstract: "Mints CoinDaily WebSocket tokens and publishes the verification keys.")

    @Option(help: "Address to bind (AUTH_HOST).") var host: String = Env.string("AUTH_HOST", "0.0.0.0")
    @Option(help: "Port (AUTH_PORT).") var port: Int = Env.int("AUTH_PORT", 4001)
    @Option(name: .customLong("redis-url"), help: "Redis URL (REDIS_URL; default redis://127.0.0.1:6379).") var redisURLFlag: String?
    var redisURL: String { Env.redisURL(redisURLFlag) }
    @Option(name: .customLong("admin-key"), help: "Admin/service API key for POST /v1/tokens (COINDAILY_ADMIN_KEY).")
    var adminKeyFlag: String?
    /// `--admin-key`, else `COINDAILY_ADMIN_KEY` (read here: `--help` prints defaults, never a key).
    var adminKey: String { adminKeyFlag ?? Env.string("COINDAILY_ADMIN_KEY", "") }
    @Flag(help: "Development mode: the admin key defaults to dev-admin-key (COINDAILY_DEV=1).")
    var dev: Bool = Env.bool("COINDAILY_DEV", false)
    @Option(help: "Directory of the persisted signing keys (AUTH_KEY_DIR).")
    var keyDir: String = Env.string("AUTH_KEY_DIR", "run/auth-keys")
    @Option(help: "Default token lifetime, seconds (AUTH_DEFAULT_TTL).") var defaultTTL: Int = Env.int("AUTH_DEFAULT_TTL", 3600)
    @Option(help: "Longest token lifetime, seconds (AUTH_MAX_TTL).") var maxTTL: Int = Env.int("AUTH_MAX_TTL", 86_400)
    @Option(help: "Refresh token lifetime, seconds (AUTH_REFRESH_TTL).")
    var refreshTTL: Int = Env.int("AUTH_REFRESH_TTL", 30 * 86_400)
    @Option(help: "Rotate the signing key every N seconds; 0 = only on POST /v1/keys/rotate (AUTH_KEY_ROTATE_SECONDS).")
    var rotateEvery: Int = Env.int("AUTH_KEY_ROTATE_SECONDS", 0)
    @Option(help: "Keep a key this many seconds after it stopped signing; 0 = --max-ttl (AUTH_KEY_RETIRE_SECONDS).")
    var keyRetireAfter: Int = Env.int("AUTH_KEY_RETIRE_SECONDS", 0)
    @Option(help: "TLS certificate chain, PEM; with --tls-key serves HTTPS (AUTH_TLS_CERT).")
    var tlsCert: String = Env.string("AUTH_TLS_CERT", "")
    @Option(help: "TLS private key, PEM (AUTH_TLS_KEY).") var tlsKey: String = Env.string("AUTH_TLS_KEY", "")
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String = Env.string("LOG_LEVEL", "info")

    func run() async throws {
        let logger = LoggingBootstrap.bootstrap(label: "coindaily-auth", level: logLevel)
        let key: String
        if !adminKey.isEmpty {
            key = adminKey
        } else if dev {
            key = "dev-admin-key"
            logger.warning("development mode: admin key is 'dev-admin-key'")
        } else {
            logger.critical("no admin key: set COINDAILY_ADMIN_KEY (or --admin-key), or use --dev for development")
            throw ExitCode(64)
        }
        guard defaultTTL >= 1, maxTTL >= defaultTTL, refreshTTL >= 1 else {
            throw ValidationError("need 1 <= --default-ttl <= --max-ttl and --refresh-ttl >= 1")
        }
        guard rotateEvery >= 0, keyRetireAfter >= 0 else {
            throw ValidationError("--rotate-every and --key-retire-after must not be negative")
        }
        let tls = try TLSFiles.from(certificatePath: tlsCert, privateKeyPath: tlsKey)
        let registry = MetricsBootstrap.bootstrap()
        let group = MultiThreadedEventLoopGroup.singleton
        let redis = RedisClient(configuration: try RedisSettings.configuration(url: redisURL), eventLoopGroup: group, logger: logger)
        redis.start()
        let configuration = AuthServiceConfiguration(
            host: host, port: port, adminKey: key, keyDirectory: URL(fileURLWithPath: keyDir), defaultTTL: defaultTTL,
            maxTTL: maxTTL, refreshTTL: refreshTTL, keyRotateEvery: rotateEvery, keyRetireAfter: keyRetireAfter > 0 ? keyRetireAfter : nil, tls: tls)
        let service = try await AuthService(configuration: configuration, redis: redis, logger: logger)
        let signingKey = await service.signingKeyID
        logger.info("signing with key \(signingKey)")
        let app = service.application(registry: registry)
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await serviceGroup.run()
        await redis.shutdown()
    }
}
