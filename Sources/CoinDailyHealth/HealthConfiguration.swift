/// The health producer's rules and timing. Every field has a documented default.
public struct HealthConfiguration: Sendable, Equatable {
    /// The services whose heartbeat is expected (default: sentiment, whale, trending, tasks, budget,
    /// moderation, gateway). A missing `gateway` makes the system `down`, any other missing one
    /// `degraded`.
    public var expectedServices: [String]
    /// The service name whose absence means `down` (default `gateway`).
    public var gatewayService: String
    /// This producer's own service name (default `health`): its own heartbeat is not reported.
    public var ownService: String
    /// Time between probes (default 5 s).
    public var probeInterval: Duration
    /// Publish at least this often, even without a change (default 30 s).
    public var publishInterval: Duration
    /// A service is down once none of its heartbeat keys has been seen for longer than this
    /// (default 5 s). Heartbeat keys expire 15 s after their last write, so a stopped process is
    /// reported down 15–20 s (plus up to one probe interval) after its last beat.
    public var missingAfter: Duration
    /// Redis is slow (→ `degraded`) when a `PING` round trip takes longer than this (default 100 ms).
    public var slowRedisThreshold: Duration
    /// Longest a probe command may take before Redis counts as unreachable (default 2 s).
    public var probeTimeout: Duration
    /// Events kept while Redis is unreachable, published first when it is back (default 16; the
    /// oldest are dropped beyond it).
    public var outboxCapacity: Int

    /// The default expected services.
    public static let defaultExpectedServices = ["sentiment", "whale", "trending", "tasks", "budget", "moderation", "gateway"]

    /// Creates a configuration; defaults as documented on each field.
    public init(
        expectedServices: [String] = defaultExpectedServices, gatewayService: String = "gateway", ownService: String = "health",
        probeInterval: Duration = .seconds(5), publishInterval: Duration = .seconds(30), missingAfter: Duration = .seconds(5),
        slowRedisThreshold: Duration = .milliseconds(100), probeTimeout: Duration = .seconds(2), outboxCapacity: Int = 16
    ) {
        self.expectedServices = expectedServices
        self.gatewayService = gatewayService
        self.ownService = ownService
        self.probeInterval = probeInterval
        self.publishInterval = publishInterval
        self.missingAfter = missingAfter
        self.slowRedisThreshold = slowRedisThreshold
        self.probeTimeout = probeTimeout
        self.outboxCapacity = outboxCapacity
    }

    /// Checks every field; throws ``HealthConfigurationError`` naming the first bad one.
    public func validate() throws(HealthConfigurationError) {
        guard expectedServices.allSatisfy({ !$0.isEmpty && !$0.contains(":") }) else {
            throw .invalid(field: "expectedServices", reason: "must be non-empty names without ':'")
        }
        guard probeInterval >= .milliseconds(10) else { throw .invalid(field: "probeInterval", reason: "must be at least 10 ms") }
        guard publishInterval >= probeInterval else {
            throw .invalid(field: "publishInterval", reason: "must be at least the probe interval")
        }
        guard missingAfter >= .zero else { throw .invalid(field: "missingAfter", reason: "must not be negative") }
        guard slowRedisThreshold > .zero else { throw .invalid(field: "slowRedisThreshold", reason: "must be positive") }
        guard probeTimeout >= .milliseconds(10) else { throw .invalid(field: "probeTimeout", reason: "must be at least 10 ms") }
        guard outboxCapacity >= 1 else { throw .invalid(field: "outboxCapacity", reason: "must be at least 1") }
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
