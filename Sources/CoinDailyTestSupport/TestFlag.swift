import Synchronization

/// A flag set from an event loop (a callback, a completion) and read by the test.
public final class TestFlag: Sendable {
    private let value = Atomic<Bool>(false)

    /// An unset flag.
    public init() {}

    /// Sets the flag.
    public func set() { value.store(true, ordering: .relaxed) }

    /// Whether the flag was set.
    public var isSet: Bool { value.load(ordering: .relaxed) }
}
