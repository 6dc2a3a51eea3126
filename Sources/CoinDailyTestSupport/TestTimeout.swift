/// Thrown when a test waited too long; the test fails instead of hanging.
public struct TestTimeout: Error, CustomStringConvertible {
    /// What was waited for.
    public let what: String

    /// Creates the error.
    public init(what: String) {
        self.what = what
    }

    public var description: String { "timed out: \(what)" }

    /// Polls `condition` every 20 ms until it is true, or throws ``TestTimeout`` after `seconds`.
    public static func poll(_ seconds: Double = 10, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestTimeout(what: what)
    }
}
