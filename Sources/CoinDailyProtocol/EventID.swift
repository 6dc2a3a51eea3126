/// A place in the event history: `<ms>-<seq>`, the Redis stream id every history entry of one event
/// carries (the same on every channel it went to).
///
/// Positions are globally ordered: `seq` grows by one per published event and `ms` never goes back, so
/// comparing `(ms, seq)` orders events across channels the same way Redis published them.
public struct EventPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds part (the history clock, never decreasing).
    public var ms: UInt64
    /// Global sequence number.
    public var seq: UInt64

    /// The position before every event.
    public static let zero = EventPosition(ms: 0, seq: 0)

    /// Creates a position.
    public init(ms: UInt64, seq: UInt64) {
        self.ms = ms
        self.seq = seq
    }

    /// Parses `<ms>-<seq>`; `nil` for anything else.
    public init?(_ text: Substring) {
        guard let dash = text.firstIndex(of: "-"), let ms = UInt64(text[..<dash]),
            let seq = UInt64(text[text.index(after: dash)...])
        else { return nil }
        self.init(ms: ms, seq: seq)
    }

    /// `<ms>-<seq>`, also the Redis stream id.
    public var description: String { "\(ms)-\(seq)" }

    public static func < (lhs: EventPosition, rhs: EventPosition) -> Bool {
        lhs.ms < rhs.ms || (lhs.ms == rhs.ms && lhs.seq < rhs.seq)
    }
}

/// The `id` of a server event as clients see it: `<epoch>:<ms>-<seq>`. A client passes the last one it
/// saw back (`since` in a subscription, `offset` in a Socket.IO CONNECT) to resume.
public struct EventID: Sendable, Hashable, CustomStringConvertible {
    /// The history's epoch: changes when the history is lost (Redis restarted without persistence).
    public var epoch: String
    /// The position.
    public var position: EventPosition

    /// Creates an id.
    public init(epoch: String, position: EventPosition) {
        self.epoch = epoch
        self.position = position
    }

    /// Parses `<epoch>:<ms>-<seq>` (epoch: 1–32 characters of `[0-9a-z]`); `nil` for anything else.
    public init?(_ text: String) {
        guard text.utf8.count <= 80, let colon = text.firstIndex(of: ":") else { return nil }
        let epoch = text[..<colon]
        guard !epoch.isEmpty, epoch.utf8.count <= 32,
            epoch.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }),
            let position = EventPosition(text[text.index(after: colon)...])
        else { return nil }
        self.init(epoch: String(epoch), position: position)
    }

    /// `<epoch>:<ms>-<seq>`.
    public var description: String { epoch + ":" + position.description }
}
