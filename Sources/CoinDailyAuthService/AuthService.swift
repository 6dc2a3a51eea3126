import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The auth service: mints tokens for the CoinDaily backend, rotates refresh tokens (with reuse
/// detection), revokes tokens and users, rotates its signing keys, and serves and publishes the public keys.
///
/// See `docs/security.md` ("Tokens and the auth service") for the whole lifecycle.
public struct AuthService: Sendable {
    private let configuration: AuthServiceConfiguration
    private let keys: KeyManager
    private let refreshTokens: RefreshTokenStore
    private let revocations: RevocationWriter
    private let redis: RedisClient
    private let logger: Logger
    private let audit: AuditLog
    private let tls: ReloadableTLSContext?
    private let metrics = AuthMetrics()

    /// Loads (or creates) the signing keys and, when configured, the TLS certificate.
    ///
    /// - Throws: when the key store cannot be read or written, or the TLS files are unusable.
    public init(configuration: AuthServiceConfiguration, redis: RedisClient, logger: Logger) async throws {
        self.configuration = configuration
        self.redis = redis
        self.logger = logger
        self.audit = AuditLog(logger: logger)
        self.keys = try await KeyManager(
            directory: configuration.keyDirectory, redis: redis, audit: audit,
            retireAfter: configuration.keyRetireAfter ?? configuration.maxTTL, rotateEvery: configuration.keyRotateEvery)
        self.refreshTokens = RefreshTokenStore(redis: redis, refreshTTL: configuration.refreshTTL, maxTTL: configuration.maxTTL)
        self.revocations = RevocationWriter(redis: redis, maxTTL: configuration.maxTTL)
        self.tls = try configuration.tls.map { files throws(TLSContextError) in
            try ReloadableTLSContext(files: files, logger: logger)
        }
    }

    /// The key id new tokens are signed with.
    public var signingKeyID: String { get async { await keys.signingKeyID } }

    /// The TLS context when the service serves HTTPS (reloaded by the application's services).
    public var tlsContext: ReloadableTLSContext? { tls }

    /// The HTTP(S) application plus its services (key publication and rotation, TLS reload), ready to run
    /// in a `ServiceGroup`.
    public func application(registry: PrometheusCollectorRegistry) -> some ApplicationProtocol {
        let router = Router(context: AuthRequestContext.self)
        ControlRoutes.add(to: router, registry: registry, isReady: { [redis] in redis.isConnected })
        let service = self
        router.get(".well-known/jwks.json") { _, _ in try await service.jwksResponse() }
        router.post("v1/tokens") { request, context in
            try service.authorize(request, context: context, endpoint: "/v1/tokens")
            let body = try await request.body.collect(upTo: 64 * 1024)
            let tokenRequest: TokenRequest
            do {
                tokenRequest = try TokenRequest.parse(
                    body, defaultTTL: service.configuration.defaultTTL, maxTTL: service.configuration.maxTTL)
            } catch {
                service.metrics.invalid.increment()
                throw error
            }
            return try await service.mint(tokenRequest, clientIP: context.clientIP)
        }
        router.post("v1/refresh") { request, context in
            let body = try await request.body.collect(upTo: 16 * 1024)
            guard let value = try? JSONValue.parse(body), let refresh = value["refreshToken"]?.stringValue,
                !refresh.isEmpty, refresh.utf8.count <= 256
            else {
                service.metrics.invalid.increment()
                throw AuthAPIError.invalid("body must be {\"refreshToken\": \"...\"}")
            }
            return try await service.refresh(refresh, clientIP: context.clientIP)
        }
        router.post("v1/revoke") { request, context in
            try service.authorize(request, context: context, endpoint: "/v1/revoke")
            let body = try await request.body.collect(upTo: 16 * 1024)
            let revokeRequest: RevokeRequest
            do {
                revokeRequest = try RevokeRequest.parse(body)
            } catch {
                service.metrics.invalid.increment()
                throw error
            }
            return try await service.revoke(revokeRequest, clientIP: context.clientIP)
        }
        router.post("v1/keys/rotate") { request, context in
            try service.authorize(request, context: context, endpoint: "/v1/keys/rotate")
            let rotated: (kid: String, previous: String)
            do {
                rotated = try await service.keys.rotate(reason: "request", clientIP: context.clientIP)
            } catch {
                service.logger.error("key rotation failed", metadata: ["error": "\(error)"])
                throw AuthAPIError.internalError("key rotation failed: the key store could not be written")
            }
            let retireAt = (Int64(Date().timeIntervalSince1970) + Int64(service.keys.retireAfter)) * 1000
            return Self.json(
                ["kid": .string(rotated.kid), "previous": .string(rotated.previous), "previousRetiresAt": .int(retireAt)])
        }
        var services: [any Service] = [
            KeyPublisher(keys: keys, interval: configuration.publishInterval)
        ]
        let server: HTTPServerBuilder
        if let tls {
            services.append(TLSReloadService(context: tls, pollInterval: configuration.tlsPollInterval, logger: logger))
            server = .reloadableTLS(tls: tls)
        } else {
            server = .http1()
        }
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "coindaily-auth"),
            services: services,
            onServerRunning: { [logger, configuration, tls] channel in
                let scheme = tls == nil ? "http" : "https"
                logger.info("listening on \(scheme)://\(configuration.host):\(channel.localAddress?.port ?? configuration.port)")
            },
            logger: logger)
    }

    // MARK: Endpoints

    private func jwksResponse() async throws -> Response {
        // This instance's keys plus every key other auth instances published, so outside verifiers accept
        // all valid tokens; only this instance's keys when Redis is unreachable.
        let own = await keys.jwks
        var set = own
        if let all = try? await redis.send(["HGETALL", RedisKeys.jwks]) {
            set = JWKSet.merging(own, hashReply: (all.array ?? []).compactMap(\.string))
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=60"],
            body: .init(byteBuffer: ByteBuffer(string: set.json())))
    }

    private func authorize(_ request: Request, context: AuthRequestContext, endpoint: String) throws(AuthAPIError) {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            Self.constantTimeEqual(Array(header.dropFirst("Bearer ".count).utf8), Array(configuration.adminKey.utf8))
        else {
            metrics.unauthorized.increment()
            audit.record(.adminKeyRejected, "admin API key rejected", clientIP: context.clientIP, extra: ["endpoint": "\(endpoint)"])
            throw .unauthorized
        }
    }

    private func mint(_ request: TokenRequest, clientIP: String?) async throws -> Response {
        let now = Self.wholeSecondsNow()
        let family = RefreshTokenStore.newFamilyID()
        let claims = TokenClaims(
            subject: request.sub, roles: request.roles, issuedAt: now, ttl: TimeInterval(request.ttl),
            id: UUID().uuidString, family: family)
        let expiresAt = Self.millis(claims.exp.value)
        let token = try await keys.sign(claims)
        let refreshToken: String
        do {
            refreshToken = try await refreshTokens.startFamily(
                sub: request.sub, roles: request.roles, ttl: request.ttl, family: family, tokenID: claims.jti.value,
                expiresAtMillis: expiresAt)
        } catch {
            throw unavailable(error)
        }
        metrics.issued.increment()
        audit.record(
            .tokenIssued, "token issued", userID: request.sub, tokenID: claims.jti.value, clientIP: clientIP,
            extra: ["roles": "\(request.roles)", "token.family": "\(family)", "ttl": "\(request.ttl)"])
        return Self.tokenResponse(token: token, refreshToken: refreshToken, expiresAt: expiresAt)
    }

    /// Exchanges a refresh token, once, for a new token and a new refresh token of the same family.
    private func refresh(_ refreshToken: String, clientIP: String?) async throws -> Response {
        let now = Self.wholeSecondsNow()
        let tokenID = UUID().uuidString
        let result: (outcome: RefreshOutcome, nextRefreshToken: String?)
        do {
            result = try await refreshTokens.rotate(refreshToken, newTokenID: tokenID, nowMillis: Self.millis(now))
        } catch {
            throw unavailable(error)
        }
        switch result.outcome {
        case .rotated(let sub, let roles, let ttl, let family, let expiresAt):
            guard let next = result.nextRefreshToken else { throw AuthAPIError.invalidRefreshToken() }
            let claims = TokenClaims(
                subject: sub, roles: roles, issuedAt: now, ttl: TimeInterval(ttl), id: tokenID, family: family)
            let token = try await keys.sign(claims)
            metrics.issued.increment()
            audit.record(
                .tokenRefreshed, "refresh token rotated", userID: sub, tokenID: tokenID, clientIP: clientIP,
                extra: ["token.family": "\(family)"])
            return Self.tokenResponse(token: token, refreshToken: next, expiresAt: expiresAt)
        case .reused(let sub, let family, let revoked):
            metrics.refreshRejected.increment()
            audit.record(
                .refreshReuseDetected, "refresh token reused: family revoked", userID: sub, clientIP: clientIP,
                extra: [
                    "token.family": "\(family)", "revoked.jtis": .array(revoked.map { .string($0.id) }),
                ])
            do {
                try await revocations.announce(revoked.map { .token(id: $0.id, expiresAtMillis: $0.expiresAtMillis) })
            } catch {
                // Stored by the script already; gateways pick it up with their next reload.
                logger.warning("revocations stored but not announced", metadata: ["error": "\(error)"])
            }
            throw AuthAPIError.refreshTokenReused
        case .familyRevoked(let sub, let family):
            metrics.refreshRejected.increment()
            audit.record(
                .refreshRevokedFamily, "refresh token of a revoked family presented", userID: sub, clientIP: clientIP,
                extra: ["token.family": "\(family)"])
            throw AuthAPIError.invalidRefreshToken("refresh token revoked")
        case .unknown:
            metrics.refreshRejected.increment()
            throw AuthAPIError.invalidRefreshToken()
        }
    }

    private func revoke(_ request: RevokeRequest, clientIP: String?) async throws -> Response {
        let nowMillis = UnixTime.nowMillis()
        switch request {
        case .token(let id, let exp):
            let expiresAt = exp ?? nowMillis + Int64(configuration.maxTTL) * 1000
            do {
                try await revocations.revoke([.token(id: id, expiresAtMillis: expiresAt)], nowMillis: nowMillis)
            } catch {
                throw unavailable(error)
            }
            audit.record(.tokenRevoked, "token revoked", tokenID: id, clientIP: clientIP, extra: ["token.exp": "\(expiresAt)"])
            return Self.json(["revoked": ["jti": .string(id), "exp": .int(expiresAt)]])
        case .subject(let sub):
            let families: Int
            do {
                // Families first: once the user entry is announced, no refresh of theirs may succeed.
                families = try await refreshTokens.revokeFamilies(of: sub, nowMillis: nowMillis)
                try await revocations.revoke([.subject(sub, beforeMillis: nowMillis)], nowMillis: nowMillis)
            } catch {
                throw unavailable(error)
            }
            audit.record(.subjectRevoked, "user revoked", userID: sub, clientIP: clientIP, extra: ["families": "\(families)"])
            return Self.json(["revoked": ["sub": .string(sub), "before": .int(nowMillis), "families": .int(Int64(families))]])
        }
    }

    // MARK: Helpers

    private func unavailable(_ error: any Error) -> AuthAPIError {
        logger.warning("token storage unavailable", metadata: ["error": "\(error)"])
        metrics.unavailable.increment()
        return .unavailable
    }

    private static func tokenResponse(token: String, refreshToken: String, expiresAt: Int64) -> Response {
        json([
            "token": .string(token), "refreshToken": .string(refreshToken), "expiresAt": .int(expiresAt),
            "tokenType": "Bearer",
        ])
    }

    private static func json(_ body: JSONValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(body))))
    }

    private static func constantTimeEqual(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        guard presented.count == expected.count, !expected.isEmpty else { return false }
        var difference: UInt8 = 0
        for i in 0..<expected.count { difference |= presented[i] ^ expected[i] }
        return difference == 0
    }

    /// Now, truncated to whole seconds: JWT times are seconds, so the `exp` recorded for revocation is exact.
    private static func wholeSecondsNow() -> Date {
        Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    }

    private static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}
