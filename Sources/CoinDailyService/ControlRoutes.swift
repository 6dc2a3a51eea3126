import Hummingbird
import NIOCore
import Prometheus

/// The control-plane routes every HTTP service shares: `/healthz`, `/readyz` and `/metrics`.
public enum ControlRoutes {
    /// Adds the routes to `router`.
    ///
    /// - Parameters:
    ///   - registry: the Prometheus registry `/metrics` renders.
    ///   - isReady: whether the service can do its work (`/readyz` answers 200 or 503).
    public static func add<Context: RequestContext>(
        to router: Router<Context>, registry: PrometheusCollectorRegistry,
        isReady: @escaping @Sendable () -> Bool = { true }
    ) {
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("readyz") { _, _ in
            let ready = isReady()
            return Response(
                status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: ready ? "ready\n" : "not ready\n")))
        }
        router.get("metrics") { _, _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(4096)
            registry.emit(into: &bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
