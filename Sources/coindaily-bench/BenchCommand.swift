import ArgumentParser
import CoinDailyClient
import CoinDailyProtocol
import CoinDailyRedis
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// `coindaily-bench`: the fan-out benchmark.
///
/// Opens C plain WebSocket connections (or, with `--socketio`, Socket.IO v5 clients over Engine.IO v4
/// WebSocket) to a running gateway, subscribes each to one channel,
/// publishes R messages per second into Redis for T seconds, and reports delivered/expected,
/// deliveries per second, publish-to-receive latency, the gateway's CPU time per delivered message
/// and its resident memory per idle connection (read from `/proc/<pid>`).
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coindaily-bench", abstract: "Fan-out benchmark against a running gateway (loopback only).")

    @Option(help: "Gateway WebSocket URL.") var url: String = "ws://127.0.0.1:4000/ws"
    @Option(help: "Redis URL the gateway uses.") var redisURL: String = "redis://127.0.0.1:6379"
    @Option(help: "Auth service URL (to mint the token).") var authURL: String = "http://127.0.0.1:4001"
    @Option(help: "Admin key of the auth service.") var adminKey: String = "dev-admin-key"
    @Option(help: "Gateway process id (for CPU and RSS figures).") var gatewayPid: Int32?
    @Option(name: .customShort("c"), help: "Connections.") var connections: Int = 1000
    @Option(name: .customShort("r"), help: "Messages published per second.") var rate: Int = 100
    @Option(name: .customShort("t"), help: "Seconds of publishing.") var duration: Int = 10
    @Option(help: "Token symbol of the channel.") var symbol: String = "BTC"
    @Option(help: "Payload padding in bytes (message size).") var padding: Int = 200
    @Option(help: "Extra connections that subscribe like the others, then stop reading (slow consumers the gateway must cut off without delaying the rest).")
    var slowClients: Int = 0
    @Option(help: "Write the JSON result to this file.") var output: String?
    @Flag(help: "Connect Socket.IO v5 clients (Engine.IO v4 over WebSocket, the default connection state recovery) instead of plain JSON ones.")
    var socketio = false

    func validate() throws {
        guard slowClients >= 0, slowClients <= 10_000 else { throw ValidationError("need 0 <= slow-clients <= 10000") }
        guard connections > 0, rate > 0, duration > 0, rate <= 100_000, connections <= 100_000, duration <= 600 else {
            throw ValidationError("need 0 < connections <= 100000, 0 < rate <= 100000, 0 < duration <= 600")
        }
        guard url.contains("127.0.0.1") || url.contains("localhost") || url.contains("[::1]") else {
            throw ValidationError("the benchmark only targets loopback addresses")
        }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "coindaily-bench")
        logger.logLevel = .warning
        let redis = RedisClient(configuration: try RedisConfiguration(url: redisURL), eventLoopGroup: group, logger: logger)
        redis.start()

        // 1. A token.
        let tokenResponse = try await SimpleHTTPClient.request(
            .POST, authURL + "/v1/tokens",
            headers: [("Authorization", "Bearer \(adminKey)"), ("Content-Type", "application/json")],
            body: #"{"sub":"bench","roles":["user"],"ttl":3600}"#, group: group)
        guard tokenResponse.status == 200, let token = (try? JSONValue.parse(tokenResponse.body))?["token"]?.stringValue else {
            throw ValidationError("could not mint a token: \(tokenResponse.status) \(tokenResponse.body)")
        }

        let rssBefore = gatewayPid.flatMap(ProcStat.rssKB)
        let stats = BenchStats()

        // 2. Connections, opened in waves, each authenticated and subscribed.
        var clients: [SimpleWebSocketClient] = []
        clients.reserveCapacity(connections)
        let wave = 100
        var opened = 0
        while opened < connections {
            let n = min(wave, connections - opened)
            let batch = try await withThrowingTaskGroup(of: SimpleWebSocketClient.self) { tasks in
                for _ in 0..<n {
                    tasks.addTask {
                        let tracker = SequenceTracker()
                        return try await subscribed(token: token, group: group, stats: stats) { stats.record($0, tracker: tracker) }
                    }
                }
                var made: [SimpleWebSocketClient] = []
                for try await client in tasks { made.append(client) }
                return made
            }
            clients += batch
            opened += n
        }
        // Wait for every subscription_confirmed.
        let confirmDeadline = ContinuousClock.now + .seconds(30)
        while stats.confirmations < connections && stats.refusal == nil && ContinuousClock.now < confirmDeadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        if let refusal = stats.refusal { throw ValidationError("a connection was refused: \(refusal)") }
        guard stats.confirmations >= connections else {
            throw ValidationError("only \(stats.confirmations) of \(connections) subscriptions confirmed")
        }
        // Slow consumers: subscribed, then never read again (their socket buffers fill, the gateway cuts them).
        let slowConfirmed = Atomic<Int>(0)
        var slow: [SimpleWebSocketClient] = []
        for _ in 0..<slowClients {
            let client = try await subscribed(token: token, group: group, stats: stats) { buffer in
                if BenchStats.contains("subscription_confirmed", in: buffer) { slowConfirmed.add(1, ordering: .relaxed) }
            }
            slow.append(client)
        }
        let slowDeadline = ContinuousClock.now + .seconds(10)
        while slowConfirmed.load(ordering: .relaxed) < slowClients && ContinuousClock.now < slowDeadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        for client in slow { try await client.channel.setOption(.autoRead, value: false).get() }
        try await Task.sleep(for: .seconds(1))
        let rssIdle = gatewayPid.flatMap(ProcStat.rssKB)
        let cpuStart = gatewayPid.flatMap(ProcStat.cpuSplitMicros)

        // 3. Publish R per second for T seconds.
        let channel = RedisKeys.sentimentChannel(symbol)
        let total = rate * duration
        let start = ContinuousClock.now
        let pad = String(repeating: "x", count: max(0, padding))
        var published = 0
        while published < total {
            let due = Int(Double((ContinuousClock.now - start).components.seconds) * Double(rate)
                + Double((ContinuousClock.now - start).components.attoseconds) / 1e18 * Double(rate)) + 1
            var commands: [[String]] = []
            while published < min(due, total) {
                let payload = #"{"type":"market_sentiment_update","data":{"token":"\#(symbol)","seq":\#(published),"sentNs":\#(ProcStat.realtimeNanos()),"pad":"\#(pad)"},"timestamp":\#(ProcStat.realtimeNanos() / 1_000_000)}"#
                commands.append(["PUBLISH", channel, payload])
                published += 1
            }
            if !commands.isEmpty { _ = try await redis.pipeline(commands) }
            try await Task.sleep(for: .milliseconds(1))
        }
        let publishEnd = ContinuousClock.now
        // 4. Drain: wait until everything arrived or 5 s passed.
        let expected = total * connections
        let drainDeadline = ContinuousClock.now + .seconds(5)
        while stats.delivered < expected && ContinuousClock.now < drainDeadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let cpuEnd = gatewayPid.flatMap(ProcStat.cpuSplitMicros)
        let elapsed = Double((publishEnd - start).components.seconds) + Double((publishEnd - start).components.attoseconds) / 1e18

        let snapshot = stats.snapshot()
        var result: [String: JSONValue] = [
            "connections": .number(Double(connections)), "rate": .number(Double(rate)), "duration_s": .number(Double(duration)),
            "payload_bytes": .number(Double(padding)),
            "expected": .number(Double(expected)), "delivered": .number(Double(snapshot.delivered)),
            "lost": .number(Double(max(0, expected - snapshot.delivered))),
            "duplicates_or_out_of_order": .number(Double(snapshot.disorder)),
            "deliveries_per_s": .number((Double(snapshot.delivered) / max(elapsed, 0.001)).rounded()),
            "latency_p50_ms": .number(snapshot.percentile(0.50)), "latency_p99_ms": .number(snapshot.percentile(0.99)),
            "latency_max_ms": .number(snapshot.percentile(1.0)),
            "slow_clients": .number(Double(slowClients)),
            "protocol": .string(socketio ? "socketio" : "plain"),
        ]
        if slowClients > 0, let cut = await Self.slowConsumerDisconnects(gatewayURL: url, group: group) {
            // The gateway's own count (a client that does not read does not notice it was cut off).
            result["gateway_slow_consumer_disconnects"] = .number(cut)
        }
        if let a = cpuStart, let b = cpuEnd, snapshot.delivered > 0 {
            let per = { (micros: Int64) in (Double(micros) / Double(snapshot.delivered) * 100).rounded() / 100 }
            result["gateway_cpu_us_per_delivery"] = .number(per(b.user + b.system - a.user - a.system))
            result["gateway_user_us_per_delivery"] = .number(per(b.user - a.user))
            result["gateway_system_us_per_delivery"] = .number(per(b.system - a.system))
        }
        if let before = rssBefore, let idle = rssIdle {
            result["gateway_rss_kb_before"] = .number(Double(before))
            result["gateway_rss_kb_idle"] = .number(Double(idle))
            result["gateway_rss_kb_per_idle_connection"] = .number((Double(idle - before) / Double(connections) * 100).rounded() / 100)
        }
        let json = JSONWriter.string(.object(result))
        print(json)
        if let output { try Data((json + "\n").utf8).write(to: URL(fileURLWithPath: output)) }
        for client in clients { try? await client.channel.close().get() }
        await redis.shutdown()
        try await group.shutdownGracefully()
        if snapshot.delivered < expected { throw ExitCode(2) }
    }
}

extension BenchCommand {
    /// One connection of the chosen protocol, authenticated with `token` and subscribed to the benchmark's
    /// channel; `onText` sees every text message (for Socket.IO: the `42` event packets).
    func subscribed(
        token: String, group: any EventLoopGroup, stats: BenchStats, onText: @escaping @Sendable (ByteBuffer) -> Void
    ) async throws -> SimpleWebSocketClient {
        let data: JSONValue = ["tokens": .strings([symbol])]
        guard socketio else {
            let client = try await SimpleWebSocketClient.connect(url, group: group, onText: onText)
            try await client.send(JSONWriter.string(["type": "auth", "token": .string(token)]))
            try await client.send(JSONWriter.string(["type": "subscribe_market_sentiment", "data": data]))
            return client
        }
        // Engine.IO: `0{…}` open, `2` ping (answered `3`); Socket.IO: `40{…}` CONNECT accepted (then subscribe),
        // `42[…]` events.
        let subscribe = "42" + JSONWriter.string(.array(["subscribe_market_sentiment", data]))
        let link = ClientLink()
        let client = try await SimpleWebSocketClient.connect(
            url + (url.contains("?") ? "&" : "?") + "EIO=4&transport=websocket", group: group,
            onText: { buffer in
                let bytes = buffer.readableBytesView
                guard let first = bytes.first else { return }
                if first == UInt8(ascii: "2") {
                    link.send("3")
                } else if first == UInt8(ascii: "4"), bytes.dropFirst().first == UInt8(ascii: "0") {
                    link.send(subscribe)
                } else if first == UInt8(ascii: "4"), bytes.dropFirst().first == UInt8(ascii: "4") {
                    stats.refused(String(buffer: buffer))  // CONNECT_ERROR: fail the run at once, saying why
                } else if first == UInt8(ascii: "4") {
                    onText(buffer)
                }
            })
        link.client.withLock { $0 = client }
        try await client.send("40" + JSONWriter.string(["token": .string(token)]))
        return client
    }

    /// `coindaily_gateway_slow_consumer_disconnects_total` from the gateway's `/metrics`.
    static func slowConsumerDisconnects(gatewayURL: String, group: any EventLoopGroup) async -> Double? {
        let base = gatewayURL.replacingOccurrences(of: "ws://", with: "http://").replacingOccurrences(of: "/ws", with: "")
        guard let response = try? await SimpleHTTPClient.request(.GET, base + "/metrics", group: group) else { return nil }
        for line in response.body.split(separator: "\n") where line.hasPrefix("coindaily_gateway_slow_consumer_disconnects_total") {
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }
}

/// A connection's client, known once it is connected, for answering from its `onText`.
final class ClientLink: Sendable {
    let client = Mutex<SimpleWebSocketClient?>(nil)

    func send(_ text: String) {
        client.withLock { $0 }?.sendWithoutWaiting(text)
    }
}

/// Counts deliveries and latencies from every connection (called on the client event loop).
final class BenchStats: Sendable {
    private struct State {
        var delivered = 0
        var confirmations = 0
        var disorder = 0
        var latenciesMicros: [Int32] = []
        var refusal: String?
    }
    private let state = Mutex(State())

    /// The first refusal a connection got (a Socket.IO CONNECT_ERROR), if any.
    var refusal: String? { state.withLock { $0.refusal } }

    func refused(_ message: String) { state.withLock { $0.refusal = $0.refusal ?? message } }

    var delivered: Int { state.withLock { $0.delivered } }
    var confirmations: Int { state.withLock { $0.confirmations } }

    func record(_ buffer: ByteBuffer, tracker: SequenceTracker) {
        let now = ProcStat.realtimeNanos()
        guard let sent = Self.number(after: #""sentNs":"#, in: buffer) else {
            if Self.contains(#""subscription_confirmed""#, in: buffer) { state.withLock { $0.confirmations += 1 } }
            return
        }
        let inOrder = Self.number(after: #""seq":"#, in: buffer).map(tracker.advance) ?? false
        let micros = Int32(clamping: (now - sent) / 1000)
        state.withLock {
            $0.delivered += 1
            if !inOrder { $0.disorder += 1 }
            $0.latenciesMicros.append(micros)
        }
    }

    struct Snapshot {
        var delivered: Int
        var disorder: Int
        var sorted: [Int32]
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
            return Double(sorted[max(0, index)]) / 1000
        }
    }

    func snapshot() -> Snapshot {
        state.withLock { Snapshot(delivered: $0.delivered, disorder: $0.disorder, sorted: $0.latenciesMicros.sorted()) }
    }

    static func number(after marker: String, in buffer: ByteBuffer) -> Int64? {
        buffer.withUnsafeReadableBytes { raw -> Int64? in
            let m = Array(marker.utf8)
            guard raw.count >= m.count else { return nil }
            var i = 0
            outer: while i <= raw.count - m.count {
                for j in 0..<m.count where raw[i + j] != m[j] {
                    i += 1
                    continue outer
                }
                var k = i + m.count
                var value: Int64 = 0
                var digits = 0
                while k < raw.count, raw[k] >= 48, raw[k] <= 57 {
                    value = value * 10 + Int64(raw[k] - 48)
                    k += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            return nil
        }
    }

    static func contains(_ marker: String, in buffer: ByteBuffer) -> Bool {
        String(buffer: buffer).contains(marker)
    }
}

/// One connection's last sequence number: a message is in order when its number is higher.
final class SequenceTracker: Sendable {
    private let last = Mutex<Int64>(-1)

    /// Records `seq`; returns whether it came after every earlier one.
    func advance(_ seq: Int64) -> Bool {
        last.withLock { last in
            defer { last = max(last, seq) }
            return seq > last
        }
    }
}

/// Reads a process's CPU time and resident memory from `/proc`.
enum ProcStat {
    /// utime + stime of `pid` in microseconds.
    static func cpuMicros(_ pid: Int32) -> Int64? {
        cpuSplitMicros(pid).map { $0.user + $0.system }
    }

    /// utime and stime of `pid` in microseconds.
    static func cpuSplitMicros(_ pid: Int32) -> (user: Int64, system: Int64)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3; utime and stime are fields 14 and 15 (1-based).
        guard fields.count > 13, let utime = Int64(fields[11]), let stime = Int64(fields[12]) else { return nil }
        let ticks = max(Int64(sysconf(Int32(_SC_CLK_TCK))), 1)
        return (utime * 1_000_000 / ticks, stime * 1_000_000 / ticks)
    }

    /// VmRSS of `pid` in KiB.
    static func rssKB(_ pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }

    static func realtimeNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
