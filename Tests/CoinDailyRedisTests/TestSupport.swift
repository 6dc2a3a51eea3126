import CoinDailyRedis
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Thrown when a test waited too long; the test fails instead of hanging.
struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(self.what)" }
}

/// Runs `operation` but gives up after `seconds`, even if the operation ignores cancellation
/// (e.g. awaiting an `EventLoopFuture` that never completes).
@discardableResult
func withTimeout<T: Sendable>(
    _ seconds: Double,
    _ what: String = "operation",
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let resumed = NIOLockedValueBox(false)
    let timer = NIOLockedValueBox<Task<Void, Never>?>(nil)
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let claim: @Sendable () -> Bool = {
            resumed.withLockedValue { done in
                defer { done = true }
                return !done
            }
        }
        let work = Task {
            let result: Result<T, any Error>
            do {
                result = .success(try await operation())
            } catch {
                result = .failure(error)
            }
            if claim() {
                timer.withLockedValue { $0?.cancel() }
                continuation.resume(with: result)
            }
        }
        let sleeper = Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            if !Task.isCancelled, claim() {
                work.cancel()
                continuation.resume(throwing: TestTimeout(what: what))
            }
        }
        timer.withLockedValue { $0 = sleeper }
    }
}

/// Polls `condition` every 20 ms until it is true, or throws ``TestTimeout`` after `seconds`.
func eventually(
    _ seconds: Double = 10,
    _ what: String,
    _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() {
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestTimeout(what: what)
}

/// Collects what a ``RedisSubscriber`` delivers, from its event loop, for assertions from the test.
final class MessageCollector: Sendable {
    private let batches = NIOLockedValueBox<[[RedisPubSubMessage]]>([])

    /// The callback to pass as `onMessages`.
    var callback: @Sendable ([RedisPubSubMessage]) -> Void {
        { batch in self.batches.withLockedValue { $0.append(batch) } }
    }

    var allBatches: [[RedisPubSubMessage]] {
        self.batches.withLockedValue { $0 }
    }

    var messages: [RedisPubSubMessage] {
        self.allBatches.flatMap { $0 }
    }

    func payloads(on channel: String) -> [String] {
        self.messages.filter { $0.channel == channel }.map { String(buffer: $0.payload) }
    }
}

/// Records connection-state changes.
final class StateRecorder: Sendable {
    private let states = NIOLockedValueBox<[RedisConnectionState]>([])

    var hook: @Sendable (RedisConnectionState) -> Void {
        { state in self.states.withLockedValue { $0.append(state) } }
    }

    var recorded: [RedisConnectionState] {
        self.states.withLockedValue { $0 }
    }
}

/// Shared helpers for integration tests.
enum TestRedis {
    static var group: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: "test.\(label)")
        logger.logLevel = .critical
        return logger
    }

    /// A configuration for the server on `port` with fast reconnects, so tests do not wait long.
    static func configuration(port: Int) -> RedisConfiguration {
        RedisConfiguration(
            host: "127.0.0.1",
            port: port,
            connectTimeout: .seconds(2),
            reconnectBackoffInitial: .milliseconds(20),
            reconnectBackoffMax: .milliseconds(300)
        )
    }
}
