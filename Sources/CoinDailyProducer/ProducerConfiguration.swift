/// What every producer shares in configuration: its name, HTTP address and stream consumption.
public struct ProducerConfiguration: Sendable {
    /// The producer's name (`sentiment`, `whale`, …): names its stream, group and heartbeat.
    public var name: String
    /// Address to bind (default `0.0.0.0`).
    public var host: String
    /// HTTP port (`/v1/ingest`, `/healthz`, `/metrics`).
    public var port: Int
    /// This instance's name, the stream consumer name (default `<host>-<pid>`).
    public var instance: String
    /// Largest ingest body in bytes (default 1 MiB); larger gets 413.
    public var maxIngestBytes: Int
    /// Entries read from the stream per call (default 100).
    public var streamBatchSize: Int
    /// How long one blocking stream read waits (default 1 s).
    public var streamBlock: Duration
    /// Pending entries idle this long are reclaimed from crashed consumers (default 30 s).
    public var claimMinIdle: Duration
    /// Stream trim length (`MAXLEN ~`) for the dead-letter stream (default 10 000).
    public var deadLetterMaxLength: Int

    /// How much history each kind of channel keeps (default ``HistoryPolicy/defaultPolicy(for:)``; the
    /// commands pass ``HistoryPolicies/init(environment:)``: `HISTORY_MAX_LENGTH[_<KIND>]`, `HISTORY_MAX_AGE_MS[_<KIND>]`).
    public var history: HistoryPolicies
    /// Most periodic or simulated events kept while Redis is away (default 10 000; `OUTBOX_CAPACITY`).
    public var outboxCapacity: Int
    /// The leader lease's TTL (default 10 s; `LEASE_TTL_MS`): how long a crashed leader's periodic
    /// events stay missing before another instance takes over.
    public var leaseTTL: Duration
    /// Creates a configuration; defaults as documented.
    public init(
        name: String, host: String = "0.0.0.0", port: Int, instance: String, maxIngestBytes: Int = 1024 * 1024,
        streamBatchSize: Int = 100, streamBlock: Duration = .seconds(1), claimMinIdle: Duration = .seconds(30),
        deadLetterMaxLength: Int = 10_000, history: HistoryPolicies = HistoryPolicies(), outboxCapacity: Int = 10_000,
        leaseTTL: Duration = .seconds(10)
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.instance = instance
        self.maxIngestBytes = maxIngestBytes
        self.streamBatchSize = streamBatchSize
        self.streamBlock = streamBlock
        self.claimMinIdle = claimMinIdle
        self.deadLetterMaxLength = deadLetterMaxLength
        self.history = history
        self.outboxCapacity = outboxCapacity
        self.leaseTTL = leaseTTL
    }
}

extension ProducerConfiguration {
    /// This configuration with the delivery settings read from the environment (`lookup`, e.g.
    /// `Env.optional`): ``history`` from `HISTORY_MAX_LENGTH[_<KIND>]` / `HISTORY_MAX_AGE_MS[_<KIND>]`,
    /// ``outboxCapacity`` from `OUTBOX_CAPACITY`, ``leaseTTL`` from `LEASE_TTL_MS`; unset or invalid
    /// values keep the current ones.
    public func readingDeliverySettings(from lookup: (String) -> String?) -> ProducerConfiguration {
        var configuration = self
        configuration.history = HistoryPolicies(environment: lookup)
        if let capacity = lookup("OUTBOX_CAPACITY").flatMap({ Int($0) }), capacity > 0 { configuration.outboxCapacity = capacity }
        if let ttl = lookup("LEASE_TTL_MS").flatMap({ Int($0) }), ttl > 0 { configuration.leaseTTL = .milliseconds(ttl) }
        return configuration
    }
}
