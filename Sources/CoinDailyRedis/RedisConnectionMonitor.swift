import NIOConcurrencyHelpers

/// Thread-safe mirror of a connection's state, readable from any thread, plus the user's state-change hook.
///
/// Only the owning event loop writes it (so hook calls are ordered); anyone may read it.
final class RedisConnectionMonitor: Sendable {
    private struct Storage {
        var state: RedisConnectionState = .disconnected
        var reconnectCount = 0
        var hook: (@Sendable (RedisConnectionState) -> Void)?
    }

    private let storage = NIOLockedValueBox(Storage())

    /// The current state.
    var state: RedisConnectionState {
        self.storage.withLockedValue { $0.state }
    }

    /// Number of times a connection was re-established after having been connected before.
    var reconnectCount: Int {
        self.storage.withLockedValue { $0.reconnectCount }
    }

    /// The hook called on the owner's event loop after every state change.
    var hook: (@Sendable (RedisConnectionState) -> Void)? {
        get { self.storage.withLockedValue { $0.hook } }
        set { self.storage.withLockedValue { $0.hook = newValue } }
    }

    /// Records a state and calls the hook (outside the lock) if it changed. `.shutdown` is final.
    func transition(to newState: RedisConnectionState) {
        let hook: (@Sendable (RedisConnectionState) -> Void)? = self.storage.withLockedValue { storage in
            guard storage.state != newState, storage.state != .shutdown else {
                return nil
            }
            storage.state = newState
            return storage.hook ?? { _ in }
        }
        hook?(newState)
    }

    /// Counts one successful reconnect.
    func recordReconnect() {
        self.storage.withLockedValue { $0.reconnectCount += 1 }
    }
}
