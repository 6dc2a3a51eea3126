import CoinDailyProtocol

/// The trending producer's Redis keys; shared names are in `RedisKeys`.
public enum TrendingKeys {
    /// Sorted set `cd:trending:samples:<TOKEN>`: the coin's samples, member `"<ts>|<price>|<volume24h>|<mentions>"`,
    /// score the timestamp; trimmed to ``TrendingConfiguration/retention`` on every write and expiring after it.
    public static func samples(_ token: String) -> String { "cd:trending:samples:" + token }

    /// Hash `cd:trending:rank`: token → its rank in the `24h` timeframe, replaced with every ranking.
    /// The sentiment producer reads it for `trendingRank`.
    public static let rank = RedisKeys.trendingRank

    /// String `cd:latest:trending:<timeframe>`: the latest `trending_memecoins_update` data (JSON), for snapshots.
    public static func latest(_ timeframe: TrendingTimeframe) -> String { RedisKeys.latestTrending(timeframe.rawValue) }

    /// String `cd:trending:lease` (value: the instance), `SET NX PX`: the instance that ranks this interval,
    /// so several instances publish one ranking per interval between them.
    public static let lease = "cd:trending:lease"
}
