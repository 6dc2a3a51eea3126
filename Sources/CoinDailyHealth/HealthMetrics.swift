import Metrics

/// The monitor's metrics.
struct HealthMetrics: Sendable {
    let status = Gauge(label: "coindaily_health_status")
    let latency = Gauge(label: "coindaily_health_redis_latency_ms")
    let dropped = Counter(label: "coindaily_health_outbox_dropped_total")
}
