import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Logging
import Metrics
import ServiceLifecycle

/// The health producer's loop: every probe interval, probe Redis, apply ``HealthRules``, and publish
/// `system_health_update` on `cd:ev:system_health` (with the data kept in `cd:latest:system_health`)
/// when ``HealthEmitter`` says so. Stops promptly on graceful shutdown.
public struct HealthMonitor: Service {
    private let redis: RedisClient
    private let configuration: HealthConfiguration
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let publisher: EventPublisher
    private let metrics = HealthMetrics()
    /// The last report (for `GET /v1/status`).
    public let latest: LatestHealthReport
    private let lease: LeaderLease?

    /// Creates the monitor.
    ///
    /// - Parameters:
    ///   - redis: a client that fails fast (see ``HealthProber``); also used to publish.
    ///   - clock: Unix ms (tests may inject one).
    ///   - history: how much of `cd:ev:system_health` is kept for resume.
    ///   - lease: when set, reports are published only while this instance holds it (so two instances
    ///     side by side do not publish twice); the others keep probing and serving `GET /v1/status`.
    public init(
        redis: RedisClient, configuration: HealthConfiguration, logger: Logger, latest: LatestHealthReport = .init(),
        history: HistoryPolicies = HistoryPolicies(), lease: LeaderLease? = nil,
        clock: @escaping @Sendable () -> Int64 = { UnixTime.nowMillis() }
    ) {
        self.lease = lease
        self.redis = redis
        self.configuration = configuration
        self.logger = logger
        self.latest = latest
        self.clock = clock
        self.publisher = EventPublisher(redis: redis, producer: "health", history: history)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        var state = HealthCycleState(startedAt: clock(), configuration: configuration)
        // Give the first connection a moment, so a starting producer does not report Redis down.
        let deadline = ContinuousClock.now + configuration.probeTimeout
        while !redis.isConnected, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        while !Task.isCancelled {
            await cycle(&state)
            try? await Task.sleep(for: configuration.probeInterval)
        }
    }

    /// One probe cycle: probe, assess, publish what is due (or keep it for later). The loop calls
    /// it every probe interval; tests call it directly.
    ///
    /// - Returns: the report.
    @discardableResult
    public func cycle(_ state: inout HealthCycleState) async -> HealthReport {
        let probe = await HealthProber(redis: redis).probe(now: clock())
        state.memory.record(probe)
        let report = HealthRules.evaluate(probe, memory: state.memory, configuration: configuration)
        latest.set(report)
        metrics.status.record(report.status == .healthy ? 0 : report.status == .degraded ? 1 : 2)
        if let latency = report.redisLatencyMs { metrics.latency.record(latency) }
        if report.status != state.previousStatus {
            logger.info(
                "system health \(report.status.rawValue)", metadata: ["alerts": "\(report.alerts.map(\.text).joined(separator: "; "))"])
            state.previousStatus = report.status
        }
        let reachable = if case .reachable = probe.redis { true } else { false }
        if let lease, await !lease.isLeader {
            return report
        }
        let droppedBefore = state.emitter.dropped
        let batch = state.emitter.offer(report, redisReachable: reachable)
        if !batch.isEmpty {
            let items = batch.map {
                EventPublisher.Item(channels: [HealthKeys.channel], envelope: $0.envelope, latestKey: HealthKeys.latest)
            }
            do {
                try await publisher.publish(items)
                state.emitter.published(batch)
                if batch.count > 1 {
                    logger.info("published health reports held while Redis was away", metadata: ["count": "\(batch.count - 1)"])
                }
            } catch {
                state.emitter.failed(batch)
                logger.debug("health report not published, kept for later", metadata: ["error": "\(error)"])
            }
        }
        if state.emitter.dropped > droppedBefore { metrics.dropped.increment(by: state.emitter.dropped - droppedBefore) }
        return report
    }

    /// Creates the state for a run starting now.
    public func initialState() -> HealthCycleState {
        HealthCycleState(startedAt: clock(), configuration: configuration)
    }
}
