import CoinDailyAuthCore
import CoinDailyAuthService
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import CoinDailyTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Prometheus
import Synchronization
import Testing

/// Messages received on subscribed Redis channels.
final class ChannelMessages: Sendable {
    private let messages = Mutex<[RedisPubSubMessage]>([])

    var callback: @Sendable ([RedisPubSubMessage]) -> Void { { batch in self.messages.withLock { $0 += batch } } }

    /// Payloads received on `channel`, in order.
    func payloads(on channel: String) -> [String] {
        messages.withLock { $0.filter { $0.channel == channel }.map { String(buffer: $0.payload) } }
    }
}

/// A real redis-server, a Redis client and subscriber, and the real auth service application.
struct AuthServiceHarness {
    static let adminKey = "test-admin-key-0123456789"
    let server: RedisServerProcess
    let redis: RedisClient
    let messages: ChannelMessages
    let subscriber: RedisSubscriber
    let keyDirectory: TemporaryDirectory

    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: "auth-test.\(label)")
        logger.logLevel = .warning
        return logger
    }

    static func configuration(port: Int) -> RedisConfiguration {
        var configuration = try! RedisConfiguration(url: "redis://127.0.0.1:\(port)")
        configuration.commandTimeout = .seconds(5)
        return configuration
    }

    /// Starts Redis and the clients, runs `body`, stops everything.
    static func with(_ body: (AuthServiceHarness) async throws -> Void) async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let group = MultiThreadedEventLoopGroup.singleton
        let messages = ChannelMessages()
        let subscriber = RedisSubscriber(
            configuration: configuration(port: server.port), eventLoopGroup: group, logger: logger("sub"),
            onMessages: messages.callback)
        subscriber.start()
        let redis = RedisClient(configuration: configuration(port: server.port), eventLoopGroup: group, logger: logger("redis"))
        redis.start()
        let harness = AuthServiceHarness(
            server: server, redis: redis, messages: messages, subscriber: subscriber, keyDirectory: TemporaryDirectory())
        do {
            try await subscriber.subscribe([RedisKeys.revocationsChannel, RedisKeys.keysChannel]).get()
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    func stop() async {
        await subscriber.shutdown()
        await redis.shutdown()
        server.kill()
    }

    /// An auth service configuration for this harness (port 0: any free port).
    func configuration(
        maxTTL: Int = 86_400, keyRetireAfter: Int? = nil, tls: TLSFiles? = nil
    ) -> AuthServiceConfiguration {
        AuthServiceConfiguration(
            host: "127.0.0.1", port: 0, adminKey: Self.adminKey, keyDirectory: keyDirectory.url, maxTTL: maxTTL,
            publishInterval: .seconds(30), keyRetireAfter: keyRetireAfter, tls: tls, tlsPollInterval: .milliseconds(200))
    }

    /// Runs the real application (live, on a loopback port) and `body` with a client for it.
    func withApp<Value>(
        _ configuration: AuthServiceConfiguration? = nil,
        _ body: @Sendable (AuthService, any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let service = try await AuthService(
            configuration: configuration ?? self.configuration(), redis: redis, logger: Self.logger("auth"))
        let app = service.application(registry: PrometheusCollectorRegistry())
        return try await app.test(.live) { client in try await body(service, client) }
    }

    /// Waits until `condition` holds (polling every 20 ms), or fails after `seconds`.
    func eventually(_ seconds: Double = 10, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    /// `HGETALL key` as a dictionary.
    func hash(_ key: String) async throws -> [String: String] {
        let values = (try await redis.sendChecked(["HGETALL", key]).array ?? []).compactMap(\.string)
        var out: [String: String] = [:]
        var i = 0
        while i + 1 < values.count {
            out[values[i]] = values[i + 1]
            i += 2
        }
        return out
    }
}

/// A decoded JSON response.
struct JSONResponse {
    let status: HTTPResponse.Status
    let json: JSONValue?
    let text: String
}

extension TestClientProtocol {
    /// POSTs a JSON body (with the admin key unless `key` says otherwise).
    func post(_ path: String, _ body: String, key: String? = AuthServiceHarness.adminKey) async throws -> JSONResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            let text = String(buffer: response.body)
            return JSONResponse(status: response.status, json: try? JSONValue.parse(text), text: text)
        }
    }

    /// GETs a path.
    func get(_ path: String) async throws -> JSONResponse {
        try await execute(uri: path, method: .get) { response in
            let text = String(buffer: response.body)
            return JSONResponse(status: response.status, json: try? JSONValue.parse(text), text: text)
        }
    }

    /// `POST /v1/tokens` for `sub`; returns (token, refreshToken).
    func mint(_ sub: String, roles: [String] = ["user"], ttl: Int = 3600) async throws -> (token: String, refresh: String) {
        let rolesJSON = roles.map { "\"\($0)\"" }.joined(separator: ",")
        let response = try await post("/v1/tokens", #"{"sub":"\#(sub)","roles":[\#(rolesJSON)],"ttl":\#(ttl)}"#)
        #expect(response.status == .ok, "\(response.text)")
        let token = try #require(response.json?["token"]?.stringValue)
        let refresh = try #require(response.json?["refreshToken"]?.stringValue)
        return (token, refresh)
    }

    /// `POST /v1/refresh`.
    func refresh(_ refreshToken: String) async throws -> JSONResponse {
        try await post("/v1/refresh", #"{"refreshToken":"\#(refreshToken)"}"#, key: nil)
    }
}

/// The `jti` of a token (its payload, not verified).
func tokenID(_ token: String) throws -> String {
    try #require(payloadObject(token)["jti"] as? String)
}

/// The `kid` of a token's header.
func keyID(_ token: String) throws -> String {
    try #require(try TokenVerifier.header(of: token).kid)
}
