import Logging
import ServiceLifecycle

/// Drives the ``KeyManager``: every second it rotates when the rotation interval is up and retires keys
/// whose window passed; every `interval` (and until the first success, every second) it re-publishes the
/// keys, so gateways get them back after Redis restarted empty.
struct KeyPublisher: Service {
    let keys: KeyManager
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var published = false
            var sincePublication: Duration = .zero
            while !Task.isCancelled {
                let retired = await keys.tick()
                if !published || sincePublication >= interval {
                    published = await keys.publish()
                    sincePublication = .zero
                } else if !retired.isEmpty {
                    sincePublication = .zero
                }
                try? await Task.sleep(for: .seconds(1))
                sincePublication += .seconds(1)
            }
        }
    }
}
