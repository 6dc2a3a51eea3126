/// One heartbeat key found by the probe: `cd:heartbeat:<service>:<instance>` and what its JSON says.
public struct HeartbeatSighting: Sendable, Equatable {
    /// The service (`sentiment`, `gateway`, …).
    public var service: String
    /// The instance (`host-1234`).
    public var instance: String
    /// When the beat was written (`at`, Unix ms), if the JSON says.
    public var at: Int64?
    /// Open client connections (`connections`, gateways only), if the JSON says.
    public var connections: Int?

    /// Creates a sighting.
    public init(service: String, instance: String, at: Int64? = nil, connections: Int? = nil) {
        self.service = service
        self.instance = instance
        self.at = at
        self.connections = connections
    }
}
