/// The state of one source's aggregate for one token at a given time, for diagnostics and tests.
public struct SentimentSourceSnapshot: Sendable, Equatable, Hashable {
    /// The source.
    public var source: SentimentSource
    /// The decay-weighted mean of the source's signal scores, in [-1, 1] (not rounded).
    public var score: Double
    /// The effective weight: the sum of the signal weights, each decayed by its age
    /// (`weight · exp(-ln2 · age / halfLife)`).
    public var effectiveWeight: Double
    /// The newest signal's timestamp, epoch ms.
    public var lastSignalAt: Int64
    /// Whether the source still counts (its newest signal is younger than
    /// ``SentimentConfiguration/staleAfterHalfLives`` half-lives).
    public var isLive: Bool

    /// Creates a snapshot.
    public init(source: SentimentSource, score: Double, effectiveWeight: Double, lastSignalAt: Int64, isLive: Bool) {
        self.source = source
        self.score = score
        self.effectiveWeight = effectiveWeight
        self.lastSignalAt = lastSignalAt
        self.isLive = isLive
    }
}
