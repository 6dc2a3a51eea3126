import Metrics
import Prometheus

/// Sets up swift-metrics once per process with a Prometheus registry that `/metrics` renders.
public enum MetricsBootstrap {
    /// Bootstraps the metrics system and returns the registry to expose.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}
