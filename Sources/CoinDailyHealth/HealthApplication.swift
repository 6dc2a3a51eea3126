import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The health producer's process: a small HTTP API and the services behind it.
///
/// The health producer has no ingest path (it probes), so it does not use `ProducerRuntime`: it
/// serves `/healthz`, `/readyz` (Redis connected), `/metrics` and `GET /v1/status` (the latest report,
/// answered from memory, so it works while Redis is down), and runs the ``HealthMonitor`` and its own
/// heartbeat (`cd:heartbeat:health:<instance>`). `POST /v1/ingest` is not served (404).
public enum HealthApplication {
    /// The application to run; `lease` (the monitor's, if any) is refreshed by it.
    public static func make(
        host: String, port: Int, instance: String, redis: RedisClient, monitor: HealthMonitor,
        registry: PrometheusCollectorRegistry, lease: LeaderLease? = nil, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        ControlRoutes.add(to: router, registry: registry, isReady: { redis.isConnected })
        let latest = monitor.latest
        router.get("v1/status") { _, _ -> Response in
            guard let report = latest.report else {
                return Response(
                    status: .serviceUnavailable, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"code":"UNAVAILABLE","message":"no probe has run yet"}}"#)))
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(report.data))))
        }
        let heartbeat = HeartbeatService(
            redis: redis, key: RedisKeys.heartbeat(service: "health", instance: instance), logger: logger,
            details: { #"{"service":"health","instance":"\#(instance)","at":\#(UnixTime.nowMillis())}"# })
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "coindaily-health"),
            services: [monitor, heartbeat] + (lease.map { [$0] } ?? []),
            onServerRunning: { channel in
                logger.info("listening on \(host):\(channel.localAddress?.port ?? port)")
            },
            logger: logger)
    }
}
