import CoinDailyProtocol

/// The Redis names the health producer reads and writes.
public enum HealthKeys {
    /// The latest `system_health_update` data (JSON string), for snapshots: `cd:latest:system_health`.
    public static let latest = RedisKeys.latestSystemHealth
    /// The event channel: `cd:ev:system_health`.
    public static var channel: String { RedisKeys.eventChannel(.systemHealth) }
    /// The pattern of every heartbeat key (read with `SCAN`, never `KEYS`).
    public static let heartbeatPattern = "cd:heartbeat:*"
}
