import CoinDailyRedis

/// The Redis client settings every CoinDaily process uses.
public enum RedisSettings {
    /// A configuration for `url` with a command timeout, so that a request that needs Redis fails
    /// with 503 (or an error event) instead of waiting forever while Redis is away.
    ///
    /// - Parameters:
    ///   - url: `redis://[user:password@]host:port[/db]`.
    ///   - commandTimeout: how long a command may wait (queued while disconnected, or in flight);
    ///     default `REDIS_COMMAND_TIMEOUT_MS` or 3 s. Blocking reads (XREADGROUP BLOCK) must block for less.
    public static func configuration(
        url: String, commandTimeout: Duration = .milliseconds(Env.int("REDIS_COMMAND_TIMEOUT_MS", 3000))
    ) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: url)
        let (seconds, attoseconds) = commandTimeout.components
        configuration.commandTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return configuration
    }
}
