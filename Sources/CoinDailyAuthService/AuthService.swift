import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The auth service: mints tokens for the CoinDaily backend, serves and publishes the public keys.
public struct AuthService: Sendable {
    private let configuration: AuthServiceConfiguration
    private let issuer: TokenIssuer
    private let store: SigningKeyStore
    private let redis: RedisClient
    private let logger: Logger
    private let metrics = AuthMetrics()

    /// Loads (or creates) the signing keys and prepares the service.
    public init(configuration: AuthServiceConfiguration, redis: RedisClient, logger: Logger) async throws {
        self.configuration = configuration
        self.store = try SigningKeyStore.loadOrCreate(directory: configuration.keyDirectory)
        self.issuer = try await TokenIssuer(store: store)
        self.redis = redis
        self.logger = logger
    }

    /// The key id new tokens are signed with.
    public var signingKeyID: String { issuer.signingKeyID }

    /// The HTTP application plus the key publisher, ready to run in a `ServiceGroup`.
    public func application(registry: PrometheusCollectorRegistry) -> some ApplicationProtocol {
        let router = Router()
        ControlRoutes.add(to: router, registry: registry, isReady: { [redis] in redis.isConnected })
        let ownKeys = store.jwks
        router.get(".well-known/jwks.json") { [redis] _, _ in
            // Every key any auth instance published, so outside verifiers accept all valid tokens;
            // this instance's own keys when Redis is unreachable.
            var keys = ownKeys.keys
            if let all = try? await redis.send(["HGETALL", RedisKeys.jwks]) {
                keys = JWKSet.merging(ownKeys, hashReply: (all.array ?? []).compactMap(\.string)).keys
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=60"],
                body: .init(byteBuffer: ByteBuffer(string: JWKSet(keys: keys).json())))
        }
        let service = self
        router.post("v1/tokens") { request, _ in
            do {
                try service.authorize(request)
            } catch {
                service.metrics.unauthorized.increment()
                throw error
            }
            let body = try await request.body.collect(upTo: 64 * 1024)
            let tokenRequest: TokenRequest
            do {
                tokenRequest = try TokenRequest.parse(
                    body, defaultTTL: service.configuration.defaultTTL, maxTTL: service.configuration.maxTTL)
            } catch {
                service.metrics.invalid.increment()
                throw error
            }
            return try await service.mint(sub: tokenRequest.sub, roles: tokenRequest.roles, ttl: tokenRequest.ttl)
        }
        router.post("v1/refresh") { request, _ in
            let body = try await request.body.collect(upTo: 16 * 1024)
            guard let value = try? JSONValue.parse(body), let refresh = value["refreshToken"]?.stringValue,
                !refresh.isEmpty, refresh.utf8.count <= 256
            else {
                service.metrics.invalid.increment()
                throw AuthAPIError.invalid("body must be {\"refreshToken\": \"...\"}")
            }
            return try await service.refresh(refresh)
        }
        let publisher = KeyPublisher(
            redis: redis, jwks: ownKeys, interval: configuration.publishInterval, logger: logger)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "coindaily-auth"),
            services: [publisher],
            onServerRunning: { [logger, configuration] channel in
                logger.info("listening on \(configuration.host):\(channel.localAddress?.port ?? configuration.port)")
            },
            logger: logger)
    }

    private func authorize(_ request: Request) throws(AuthAPIError) {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { throw .unauthorized }
        let presented = Array(header.dropFirst("Bearer ".count).utf8)
        let expected = Array(configuration.adminKey.utf8)
        guard presented.count == expected.count else { throw .unauthorized }
        var difference: UInt8 = 0
        for i in 0..<expected.count { difference |= presented[i] ^ expected[i] }
        guard difference == 0 else { throw .unauthorized }
    }

    private func mint(sub: String, roles: [String], ttl: Int) async throws -> Response {
        let now = Date()
        let claims = TokenClaims(subject: sub, roles: roles, issuedAt: now, ttl: TimeInterval(ttl), id: UUID().uuidString)
        let token = try await issuer.sign(claims)
        let refreshToken = Self.randomToken()
        let record: JSONValue = ["sub": .string(sub), "roles": .strings(roles), "ttl": .number(Double(ttl))]
        do {
            let reply = try await redis.send([
                "SET", RedisKeys.refreshToken(Self.hash(refreshToken)), JSONWriter.string(record), "EX",
                String(configuration.refreshTTL),
            ])
            if reply.errorMessage != nil { throw AuthAPIError.unavailable }
        } catch {
            logger.warning("refresh token not stored", metadata: ["error": "\(error)"])
            metrics.unavailable.increment()
            throw AuthAPIError.unavailable
        }
        metrics.issued.increment()
        let expiresAt = Int64((claims.exp.value.timeIntervalSince1970 * 1000).rounded())
        logger.info("token issued", metadata: ["user.id": "\(sub)", "roles": "\(roles)", "token.jti": "\(claims.jti.value)"])
        let body: JSONValue = [
            "token": .string(token), "refreshToken": .string(refreshToken), "expiresAt": .int(expiresAt),
            "tokenType": "Bearer",
        ]
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(body))))
    }

    /// Exchanges a refresh token, once, for a new token and a new refresh token.
    private func refresh(_ refreshToken: String) async throws -> Response {
        let reply: RESPValue
        do {
            reply = try await redis.send(["GETDEL", RedisKeys.refreshToken(Self.hash(refreshToken))])
        } catch {
            metrics.unavailable.increment()
            throw AuthAPIError.unavailable
        }
        guard let json = reply.string, let record = try? JSONValue.parse(json), let sub = record["sub"]?.stringValue,
            let roles = record["roles"]?.arrayValue?.compactMap(\.stringValue)
        else {
            metrics.refreshRejected.increment()
            throw AuthAPIError(
                status: .unauthorized, code: "INVALID_REFRESH_TOKEN", message: "refresh token unknown, used or expired")
        }
        let ttl = Int(record["ttl"]?.numberValue ?? Double(configuration.defaultTTL))
        return try await mint(sub: sub, roles: roles, ttl: min(max(ttl, 1), configuration.maxTTL))
    }

    static func randomToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        return Base64URL.encode(bytes)
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
