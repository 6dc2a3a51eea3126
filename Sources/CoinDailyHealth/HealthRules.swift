/// The status rules: a pure function from what the probes found (and when services were last seen)
/// to the report.
///
/// - Redis unreachable → `down` (`redis: unreachable (…)`); nothing else can be known, so producers
///   read `unknown` and the counts 0.
/// - No heartbeat key of the gateway service for longer than `missingAfter` → `down`
///   (`gateway: no heartbeat for 42 s`).
/// - An expected producer without a heartbeat key for longer than `missingAfter` → `degraded`
///   (`producer whale: no heartbeat for 42 s`).
/// - `PING` slower than `slowRedisThreshold` → `degraded` (`redis: slow, PING took 152 ms (threshold 100 ms)`).
/// - Otherwise `healthy`. The status is the worst that applies; alerts are listed Redis first, then
///   the gateway, then producers by name.
///
/// "Missing" counts from the last probe that saw a key of the service, or from when Redis last became
/// reachable (or the producer started), whichever is later (``HeartbeatMemory/missingSince(_:)``).
/// "for 42 s" counts from the service's last heartbeat (its `at`); for a service never seen since the
/// health producer started the alert says `no heartbeat seen since the health producer started 42 s ago`.
public enum HealthRules {
    /// The report for `probe`; `memory` must already include it (``HeartbeatMemory/record(_:)``).
    public static func evaluate(_ probe: HealthProbe, memory: HeartbeatMemory, configuration: HealthConfiguration) -> HealthReport {
        let expectedProducers = configuration.expectedServices.filter { $0 != configuration.gatewayService && $0 != configuration.ownService }
        switch probe.redis {
        case .unreachable(let reason):
            return HealthReport(
                status: .down, redis: "down", redisLatencyMs: nil,
                producers: Dictionary(expectedProducers.map { ($0, "unknown") }, uniquingKeysWith: { a, _ in a }),
                gatewayCount: 0, gatewayConnections: 0, agents: .zero,
                alerts: [HealthAlert(key: "redis: unreachable", text: "redis: unreachable (\(reason))")], timestamp: probe.now)
        case .reachable(let latencyMs):
            var status = HealthStatus.healthy
            var alerts: [HealthAlert] = []
            let thresholdMs = Double(configuration.slowRedisThreshold.milliseconds)
            let redisState: String
            if latencyMs > thresholdMs {
                redisState = "slow"
                status = max(status, .degraded)
                alerts.append(
                    HealthAlert(
                        key: "redis: slow",
                        text: "redis: slow, PING took \(Int(latencyMs.rounded())) ms (threshold \(Int(thresholdMs)) ms)"))
            } else {
                redisState = "up"
            }

            let present = Set(probe.heartbeats.map(\.service))
            let gateways = probe.heartbeats.filter { $0.service == configuration.gatewayService }
            if configuration.expectedServices.contains(configuration.gatewayService),
                let text = missing(configuration.gatewayService, label: "gateway", present: present, probe: probe, memory: memory, configuration: configuration)
            {
                status = .down
                alerts.append(HealthAlert(key: "gateway: missing", text: text))
            }

            var producers: [String: String] = [:]
            for service in present where service != configuration.gatewayService && service != configuration.ownService {
                producers[service] = "up"
            }
            for service in expectedProducers.sorted() where !present.contains(service) {
                if let text = missing(service, label: "producer \(service)", present: present, probe: probe, memory: memory, configuration: configuration) {
                    producers[service] = "down"
                    status = max(status, .degraded)
                    alerts.append(HealthAlert(key: "producer \(service): missing", text: text))
                } else {
                    producers[service] = "up"  // within the grace period after its key expired
                }
            }
            return HealthReport(
                status: status, redis: redisState, redisLatencyMs: (latencyMs * 100).rounded() / 100, producers: producers,
                gatewayCount: Set(gateways.map(\.instance)).count, gatewayConnections: gateways.reduce(0) { $0 + max(0, $1.connections ?? 0) },
                agents: probe.agents, alerts: alerts, timestamp: probe.now)
        }
    }

    /// The alert text when `service` has had no key for longer than `missingAfter`, else `nil`.
    private static func missing(
        _ service: String, label: String, present: Set<String>, probe: HealthProbe, memory: HeartbeatMemory,
        configuration: HealthConfiguration
    ) -> String? {
        guard !present.contains(service) else { return nil }
        guard probe.now - memory.missingSince(service) > configuration.missingAfter.milliseconds else { return nil }
        if let beat = memory.lastBeat[service] {
            return "\(label): no heartbeat for \(max(0, probe.now - beat) / 1000) s"
        }
        return "\(label): no heartbeat seen since the health producer started \(max(0, probe.now - memory.startedAt) / 1000) s ago"
    }
}
