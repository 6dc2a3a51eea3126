/// One line of `alerts`, with the part that identifies it (for change detection) kept apart from the
/// text (whose numbers change every probe).
public struct HealthAlert: Sendable, Equatable, Hashable {
    /// What the alert is about and what kind it is, e.g. `producer whale: missing`, `redis: slow`.
    public var key: String
    /// The readable line, e.g. `producer whale: no heartbeat for 42 s`.
    public var text: String

    /// Creates an alert.
    public init(key: String, text: String) {
        self.key = key
        self.text = text
    }
}
