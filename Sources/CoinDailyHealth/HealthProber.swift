import CoinDailyProtocol
import CoinDailyRedis
import NIOCore

/// Runs one probe round against Redis: `PING` (timed), `SCAN` for heartbeat keys and `MGET` of their
/// values, `HVALS` of the agent registry.
///
/// Give it a client that fails fast (`queueWhileDisconnected: false` and a `commandTimeout`), so an
/// unreachable Redis is reported at once rather than waited for.
public struct HealthProber: Sendable {
    private let redis: RedisClient
    /// Keys asked for per `SCAN` call (a hint to Redis).
    public var scanCount = 500
    /// Most `SCAN` calls per probe (a guard against a huge keyspace).
    public var maxScanCalls = 1000

    /// Creates a prober.
    public init(redis: RedisClient) { self.redis = redis }

    /// Probes now; `now` stamps the result.
    public func probe(now: Int64) async -> HealthProbe {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try await redis.sendChecked(["PING"])
        } catch {
            return HealthProbe(now: now, redis: .unreachable(reason: Self.reason(error)))
        }
        let elapsed = clock.now - started
        let latencyMs = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        do {
            let heartbeats = try await scanHeartbeats()
            let agents = try await redis.sendChecked(["HVALS", RedisKeys.agentRegistry]).array ?? []
            return HealthProbe(
                now: now, redis: .reachable(latencyMs: latencyMs), heartbeats: heartbeats,
                agents: AgentCounts(registryValues: agents.compactMap(\.string)))
        } catch {
            return HealthProbe(now: now, redis: .unreachable(reason: Self.reason(error)))
        }
    }

    private func scanHeartbeats() async throws -> [HeartbeatSighting] {
        var keys: [String] = []
        var seen: Set<String> = []
        var cursor = "0"
        var calls = 0
        repeat {
            let reply = try await redis.sendChecked(["SCAN", cursor, "MATCH", HealthKeys.heartbeatPattern, "COUNT", String(scanCount)])
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let batch = parts[1].array else {
                throw RedisError.unexpectedReply("SCAN: \(reply)")
            }
            for key in batch.compactMap(\.string) where seen.insert(key).inserted { keys.append(key) }
            cursor = next
            calls += 1
        } while cursor != "0" && calls < maxScanCalls
        var sightings: [HeartbeatSighting] = []
        for chunk in stride(from: 0, to: keys.count, by: 500) {
            let names = Array(keys[chunk..<min(chunk + 500, keys.count)])
            let values = try await redis.mget(names)
            for (key, value) in zip(names, values) {
                // A key that expired between SCAN and MGET is gone: not a sighting.
                guard let value, let sighting = HeartbeatParsing.sighting(key: key, value: String(buffer: value)) else { continue }
                sightings.append(sighting)
            }
        }
        return sightings
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? RedisError { return error.description }
        return "\(error)"
    }
}
