/// The result of one ranking run: one update per timeframe and the 24 h ranks of every ranked coin.
public struct TrendingRanking: Sendable, Equatable {
    /// One update per timeframe, `1h` first.
    public var updates: [TrendingUpdate]
    /// Rank of every coin ranked in the `24h` timeframe (not only the top ones): what the sentiment
    /// producer reports as `trendingRank`.
    public var ranks24h: [String: Int]

    /// Creates a ranking.
    public init(updates: [TrendingUpdate], ranks24h: [String: Int]) {
        self.updates = updates
        self.ranks24h = ranks24h
    }
}
