import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import NIOWebSocket
import Synchronization
import Testing

@testable import CoinDailyGateway

/// The wall clock every harness starts with (Unix ms), so reply timestamps are exact.
let fixedNow: Int64 = 1_700_000_000_000

/// Thrown when a test waited too long; the test fails instead of hanging.
struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `operation` but gives up after `seconds`, even if it ignores cancellation.
func withTimeout<T: Sendable>(
    _ seconds: Double = 10, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let resumed = Mutex(false)
    let claim: @Sendable () -> Bool = { resumed.withLock { done in defer { done = true }; return !done } }
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let work = Task {
            let result: Result<T, any Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            if claim() { continuation.resume(with: result) }
        }
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            if claim() {
                work.cancel()
                continuation.resume(throwing: TestTimeout(what: what))
            }
        }
    }
}

/// A settable wall clock for the gateway context.
final class TestClock: Sendable {
    private let value = Mutex<Int64>(fixedNow)
    var now: Int64 {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// One server WebSocket frame as read off the wire.
struct ServerFrame: Equatable, CustomStringConvertible {
    var fin: Bool
    var opcode: UInt8
    var payload: [UInt8]
    var text: String { String(decoding: payload, as: UTF8.self) }
    var description: String { "frame(op \(opcode), \(payload.count) bytes: \(text))" }

    /// The close code and reason of a close frame.
    var close: (code: UInt16, reason: String)? {
        guard opcode == 0x8, payload.count >= 2 else { return nil }
        return (UInt16(payload[0]) << 8 | UInt16(payload[1]), String(decoding: payload[2...], as: UTF8.self))
    }
}

/// A problem in the bytes the server wrote.
struct FrameError: Error, CustomStringConvertible {
    let description: String
}

/// Splits server bytes into frames, checking each header: unmasked, length encoding minimal, no truncation.
func parseFrames(_ bytes: [UInt8]) throws -> [ServerFrame] {
    var frames: [ServerFrame] = []
    var i = 0
    while i < bytes.count {
        guard bytes.count - i >= 2 else { throw FrameError(description: "truncated header") }
        let first = bytes[i]
        let second = bytes[i + 1]
        guard second & 0x80 == 0 else { throw FrameError(description: "server frame is masked") }
        guard first & 0x70 == 0 else { throw FrameError(description: "reserved bits set") }
        var length = Int(second & 0x7F)
        i += 2
        if length == 126 {
            guard bytes.count - i >= 2 else { throw FrameError(description: "truncated 16-bit length") }
            length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            guard length >= 126 else { throw FrameError(description: "non-minimal 16-bit length") }
            i += 2
        } else if length == 127 {
            guard bytes.count - i >= 8 else { throw FrameError(description: "truncated 64-bit length") }
            length = bytes[i..<i + 8].reduce(0) { $0 << 8 | Int($1) }
            guard length > 65535 else { throw FrameError(description: "non-minimal 64-bit length") }
            i += 8
        }
        guard bytes.count - i >= length else { throw FrameError(description: "truncated payload") }
        frames.append(ServerFrame(fin: first & 0x80 != 0, opcode: first & 0x0F, payload: Array(bytes[i..<i + length])))
        i += length
    }
    return frames
}

/// A gateway context on one `NIOAsyncTestingEventLoop`, with Redis pointed at a port nothing listens on.
final class GatewayHarness: Sendable {
    let loop: NIOAsyncTestingEventLoop
    let context: GatewayContext
    let hub: LoopHub
    let registry: RedisChannelRegistry
    let subscriber: RedisSubscriber
    let redis: RedisClient
    let group: MultiThreadedEventLoopGroup
    let issuer: TokenIssuer
    let clock: TestClock
    private let keyDirectory: URL
    private let nextID = Atomic<UInt64>(1)

    private init(
        loop: NIOAsyncTestingEventLoop, context: GatewayContext, hub: LoopHub, registry: RedisChannelRegistry,
        subscriber: RedisSubscriber, redis: RedisClient, group: MultiThreadedEventLoopGroup, issuer: TokenIssuer,
        clock: TestClock, keyDirectory: URL
    ) {
        self.loop = loop
        self.context = context
        self.hub = hub
        self.registry = registry
        self.subscriber = subscriber
        self.redis = redis
        self.group = group
        self.issuer = issuer
        self.clock = clock
        self.keyDirectory = keyDirectory
    }

    /// A harness; with `redisPort`, its Redis client and subscriber use the `redis-server` on that port and
    /// resumes read the real history (live events still come only through ``deliver(_:)``: the subscriber
    /// drops what Redis pushes).
    static func make(
        configuration: GatewayConfiguration = .init(), queueRedisCommands: Bool = true, redisPort: Int? = nil
    ) async throws -> GatewayHarness {
        let keyDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("coindaily-gateway-tests-\(UUID().uuidString)", isDirectory: true)
        let store = try SigningKeyStore.loadOrCreate(directory: keyDirectory)
        let issuer = try await TokenIssuer(store: store)
        let verifier = try await TokenVerifier()
        await verifier.replaceKeys(with: store.jwks)

        let logger = Logger(label: "gateway-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let redisConfiguration = RedisConfiguration(
            host: "127.0.0.1", port: redisPort ?? 1, reconnectBackoffInitial: .seconds(1), reconnectBackoffMax: .seconds(5),
            queueWhileDisconnected: queueRedisCommands)
        let redis = RedisClient(configuration: redisConfiguration, eventLoopGroup: group, logger: logger)
        let subscriber = RedisSubscriber(configuration: redisConfiguration, eventLoopGroup: group, logger: logger) { _ in }
        let metrics = GatewayMetrics()
        let registry = RedisChannelRegistry(subscriber: subscriber, metrics: metrics)
        let loop = NIOAsyncTestingEventLoop()
        let hub = LoopHub(eventLoop: loop, registry: registry, metrics: metrics)
        let clock = TestClock()
        if redisPort != nil {
            redis.start()
            subscriber.start()
        }
        let context = GatewayContext(
            configuration: configuration, verifier: verifier, redis: redis, knownTokens: KnownTokens(), metrics: metrics,
            logger: logger, hubs: [hub], history: redisPort.map { _ in HistoryReader(redis: redis) },
            registry: redisPort.map { _ in registry }, clock: { clock.now })
        return GatewayHarness(
            loop: loop, context: context, hub: hub, registry: registry, subscriber: subscriber, redis: redis, group: group,
            issuer: issuer, clock: clock, keyDirectory: keyDirectory)
    }

    /// A new connection: NIO's frame encoder, then the plain protocol handler.
    func connect() async throws -> NIOAsyncTestingChannel {
        let context = self.context
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let channel = try await NIOAsyncTestingChannel(loop: loop) { channel in
            try channel.pipeline.syncOperations.addHandler(PlainConnectionHandler(gateway: context, connectionID: id))
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000))
        return channel
    }

    /// A token from this harness's key store, and its `exp` in Unix ms.
    func token(_ sub: String = "alice", roles: [String] = ["user"], ttl: TimeInterval = 3600) async throws -> (
        token: String, expiresAt: Int64
    ) {
        let issuedAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let token = try await issuer.sign(
            TokenClaims(subject: sub, roles: roles, issuedAt: issuedAt, ttl: ttl, id: UUID().uuidString))
        return (token, Int64(issuedAt.timeIntervalSince1970 + ttl) * 1000)
    }

    /// Runs `body` with the connection's session, on the event loop.
    func withSession<T: Sendable>(
        _ channel: NIOAsyncTestingChannel, _ body: @escaping @Sendable (ClientSession) throws -> T
    ) async throws -> T {
        try await loop.executeInContext {
            let handler = try channel.pipeline.syncOperations.handler(type: PlainConnectionHandler.self)
            guard let session = handler.session else { throw FrameError(description: "no session") }
            return try body(session)
        }
    }

    /// Hands `events` to the hub, as the broadcaster does, on the event loop.
    func deliver(_ events: [OutboundEvent]) async throws {
        let hub = self.hub
        try await loop.executeInContext { hub.deliver(events) }
    }

    /// Stops Redis reconnect attempts and removes the key directory.
    func shutdown() async throws {
        await subscriber.shutdown()
        await redis.shutdown()
        try await group.shutdownGracefully()
        try? FileManager.default.removeItem(at: keyDirectory)
    }
}

/// A client text frame, masked as a browser would send it unless `masked` is false.
func textFrame(_ text: String, masked: Bool = true) -> WebSocketFrame {
    frame(.text, ByteBuffer(string: text), masked: masked)
}

/// A client frame of `opcode`.
func frame(_ opcode: WebSocketOpcode, _ payload: ByteBuffer, masked: Bool = true) -> WebSocketFrame {
    var data = payload
    let key: WebSocketMaskingKey? = masked ? WebSocketMaskingKey([0x37, 0xFA, 0x21, 0x3D]) : nil
    if let key { data.webSocketMask(key) }
    return WebSocketFrame(fin: true, opcode: opcode, maskKey: key, data: data)
}

extension NIOAsyncTestingChannel {
    /// Sends one text message from the client.
    func send(_ text: String, masked: Bool = true) async throws {
        try await writeInbound(textFrame(text, masked: masked))
    }

    /// The next buffer the connection writes, waiting for it (the token check is asynchronous).
    func nextWrite() async throws -> ByteBuffer {
        try await withTimeout(10, "an outbound write") { try await self.waitForOutboundWrite(as: ByteBuffer.self) }
    }

    /// The next write, which must be exactly one final text frame; its payload as text.
    func nextText() async throws -> String {
        let frames = try parseFrames(Array(try await nextWrite().readableBytesView))
        try #require(frames.count == 1, "expected one frame, got \(frames)")
        #expect(frames[0].fin)
        #expect(frames[0].opcode == 0x1)
        return frames[0].text
    }

    /// Every buffer written so far, concatenated and split into frames.
    func drainFrames() async throws -> [ServerFrame] {
        await testingEventLoop.run()
        var bytes: [UInt8] = []
        while let buffer = try await readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readableBytesView
        }
        return try parseFrames(bytes)
    }

    /// Sends `auth` with `token` and returns the reply's text.
    func authenticate(_ token: String, id: String = "a1") async throws -> String {
        try await send(#"{"type":"auth","token":"\#(token)","id":"\#(id)"}"#)
        return try await nextText()
    }
}

/// An outbound event as the broadcaster builds it from a published envelope.
func publishedEvent(channel: String, type: String, data: JSONValue, timestamp: Int64 = fixedNow + 123) throws
    -> OutboundEvent
{
    let payload = EventEnvelope(type: type, data: data, timestamp: timestamp).encoded()
    return try #require(OutboundEvent.decode(channel: channel, payload: payload, allocator: ByteBufferAllocator()))
}

extension ByteBuffer {
    /// The address of the first readable byte: equal for two buffers that share storage.
    var storageAddress: UInt {
        withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
    }
}
