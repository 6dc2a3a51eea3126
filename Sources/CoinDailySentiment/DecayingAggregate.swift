import Foundation

/// The exponentially decaying weighted aggregate of one source's signals for one token.
///
/// Holds `sumW = Σ wᵢ·dᵢ` and `sumWS = Σ wᵢ·sᵢ·dᵢ`, where `dᵢ = exp(-ln2 · (t - tᵢ) / halfLife)`
/// is signal i's decay at time `t = updatedAt`. Decaying both sums by the same factor keeps their
/// ratio (the source score) unchanged while time passes; only new signals move it, and the newer
/// a signal the more it weighs. A late signal (`tᵢ < updatedAt`) enters pre-decayed by its age, so
/// the order of arrival does not matter.
struct DecayingAggregate: Sendable, Equatable {
    /// Σ wᵢ·dᵢ at `updatedAt`.
    private(set) var sumW: Double = 0
    /// Σ wᵢ·sᵢ·dᵢ at `updatedAt`.
    private(set) var sumWS: Double = 0
    /// The time (epoch ms) at which the sums are expressed: the newest signal's timestamp.
    private(set) var updatedAt: Int64
    /// The newest signal's timestamp (epoch ms), for staleness.
    var lastSignalAt: Int64 { updatedAt }

    /// Starts an aggregate with one signal.
    init(score: Double, weight: Double, at timestamp: Int64) {
        updatedAt = timestamp
        sumW = weight
        sumWS = weight * score
    }

    /// The decay factor over `milliseconds`: `exp(-ln2 · ms / halfLife)`, 1 for `ms <= 0`.
    static func decayFactor(milliseconds: Double, halfLifeMilliseconds: Double) -> Double {
        guard milliseconds > 0 else { return 1 }
        return exp(-M_LN2 * milliseconds / halfLifeMilliseconds)
    }

    /// Adds a signal observed at `timestamp`.
    mutating func add(score: Double, weight: Double, at timestamp: Int64, halfLifeMilliseconds: Double) {
        if timestamp >= updatedAt {
            let factor = Self.decayFactor(milliseconds: Double(timestamp - updatedAt), halfLifeMilliseconds: halfLifeMilliseconds)
            sumW = sumW * factor + weight
            sumWS = sumWS * factor + weight * score
            updatedAt = timestamp
        } else {
            let factor = Self.decayFactor(milliseconds: Double(updatedAt - timestamp), halfLifeMilliseconds: halfLifeMilliseconds)
            sumW += weight * factor
            sumWS += weight * score * factor
        }
    }

    /// The effective (decayed) total weight at `now`.
    func weight(at now: Int64, halfLifeMilliseconds: Double) -> Double {
        sumW * Self.decayFactor(milliseconds: Double(now - updatedAt), halfLifeMilliseconds: halfLifeMilliseconds)
    }

    /// The source score: the decay-weighted mean of the signal scores, in [-1, 1].
    var score: Double {
        guard sumW > 0 else { return 0 }
        return min(1, max(-1, sumWS / sumW))
    }

    /// Whether the newest signal is younger than `staleAfterMilliseconds` at `now`.
    func isLive(at now: Int64, staleAfterMilliseconds: Double) -> Bool {
        Double(now - lastSignalAt) < staleAfterMilliseconds
    }
}
