/// What the health producer remembers between probes: when each service was last seen.
///
/// Heartbeat keys only say "alive now"; to say "missing for 42 s" the producer keeps, per service,
/// the last probe that found one of its keys and the newest `at` it read.
public struct HeartbeatMemory: Sendable, Equatable {
    /// When the health producer started (Unix ms): "missing since" for services never seen.
    public let startedAt: Int64
    /// Since when Redis has answered without interruption (Unix ms; `nil` while it is unreachable).
    /// Nothing counts as missing for longer than this: after Redis restarts empty, every process
    /// rewrites its heartbeat within 5 s, which must not read as an outage of every service.
    public private(set) var reachableSince: Int64?
    /// Service → the last probe time (Unix ms) at which one of its keys existed.
    public private(set) var lastSeen: [String: Int64] = [:]
    /// Service → the newest heartbeat time: its `at` when plausible (within the last minute), else the
    /// probe time (a key that exists was written within its 15 s expiry).
    public private(set) var lastBeat: [String: Int64] = [:]

    /// Creates an empty memory.
    public init(startedAt: Int64) {
        self.startedAt = startedAt
        self.reachableSince = startedAt
    }

    /// Since when `service` counts as missing if it has no key now.
    public func missingSince(_ service: String) -> Int64 {
        max(lastSeen[service] ?? startedAt, reachableSince ?? startedAt)
    }

    /// Notes the heartbeats of `probe` (while Redis is unreachable absence says nothing).
    public mutating func record(_ probe: HealthProbe) {
        guard case .reachable = probe.redis else {
            reachableSince = nil
            return
        }
        if reachableSince == nil { reachableSince = probe.now }
        for sighting in probe.heartbeats {
            lastSeen[sighting.service] = max(lastSeen[sighting.service] ?? .min, probe.now)
            var beat = probe.now
            if let at = sighting.at, at <= probe.now, at >= probe.now - 60_000 { beat = at }
            lastBeat[sighting.service] = max(lastBeat[sighting.service] ?? .min, beat)
        }
    }
}
