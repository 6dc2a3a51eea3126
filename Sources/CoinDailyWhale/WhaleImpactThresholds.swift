/// When a transfer's `impact` is `high`, `medium` or `low`.
///
/// With a known 24 h volume `V > 0` of the token the share `amountUSD / V` decides: at least
/// ``highVolumeShare`` (default 1 %) is `high`, at least ``mediumVolumeShare`` (default 0.1 %) is
/// `medium`, below that `low`. Without a volume (no price tick carried `volume24h`, or it was 0) the
/// absolute size decides: at least ``fallbackHighUSD`` (default 10 000 000) is `high`, at least
/// ``fallbackMediumUSD`` (default 1 000 000) is `medium`.
public struct WhaleImpactThresholds: Sendable, Equatable {
    /// Share of the 24 h volume from which a transfer is `high` (default 0.01, i.e. 1 %).
    public var highVolumeShare: Double
    /// Share of the 24 h volume from which a transfer is `medium` (default 0.001, i.e. 0.1 %).
    public var mediumVolumeShare: Double
    /// Without a volume: USD from which a transfer is `high` (default 10 000 000).
    public var fallbackHighUSD: Double
    /// Without a volume: USD from which a transfer is `medium` (default 1 000 000).
    public var fallbackMediumUSD: Double

    /// Creates thresholds; defaults as documented on each property.
    public init(
        highVolumeShare: Double = 0.01, mediumVolumeShare: Double = 0.001, fallbackHighUSD: Double = 10_000_000,
        fallbackMediumUSD: Double = 1_000_000
    ) {
        self.highVolumeShare = highVolumeShare
        self.mediumVolumeShare = mediumVolumeShare
        self.fallbackHighUSD = fallbackHighUSD
        self.fallbackMediumUSD = fallbackMediumUSD
    }

    /// The impact of moving `amountUSD` of a token whose 24 h volume is `volume24h` (nil or 0: unknown).
    public func impact(amountUSD: Double, volume24h: Double?) -> WhaleImpact {
        if let volume24h, volume24h > 0 {
            let share = amountUSD / volume24h
            if share >= highVolumeShare { return .high }
            if share >= mediumVolumeShare { return .medium }
            return .low
        }
        if amountUSD >= fallbackHighUSD { return .high }
        if amountUSD >= fallbackMediumUSD { return .medium }
        return .low
    }

    /// Whether the thresholds are usable: every value finite and > 0, and each `medium` at most its `high`.
    public var isValid: Bool {
        let values = [highVolumeShare, mediumVolumeShare, fallbackHighUSD, fallbackMediumUSD]
        return values.allSatisfy { $0.isFinite && $0 > 0 } && mediumVolumeShare <= highVolumeShare
            && fallbackMediumUSD <= fallbackHighUSD
    }
}
