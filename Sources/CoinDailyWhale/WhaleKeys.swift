/// The whale producer's own Redis keys (all `cd:whale:…`); shared names are in `RedisKeys`.
public enum WhaleKeys {
    /// Hash `cd:whale:market:<TOKEN>` with fields `price`, `timestamp` (Unix ms) and `volume24h`: the
    /// newest price tick of the token; expires after ``WhaleConfiguration/marketTTL`` without ticks.
    public static func market(_ token: String) -> String { "cd:whale:market:" + token }

    /// String `cd:whale:seen:<txHash>` (value: publication time, Unix ms), set with `NX` and
    /// ``WhaleConfiguration/seenTTL`` in the same script that publishes the transaction's alert.
    public static func seen(_ txHash: String) -> String { "cd:whale:seen:" + txHash }
}
