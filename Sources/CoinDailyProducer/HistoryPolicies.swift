import CoinDailyProtocol
import CoinDailyService

/// The history window (``HistoryPolicy``) of every kind of channel a producer publishes on, with
/// ``HistoryPolicy/defaultPolicy(for:)`` unless overridden.
///
/// ``init(environment:)`` (pass `Env.optional`) reads, most specific first:
/// - `HISTORY_MAX_LENGTH_<KIND>` / `HISTORY_MAX_AGE_MS_<KIND>` (e.g. `HISTORY_MAX_LENGTH_WHALE_ACTIVITY`),
/// - `HISTORY_MAX_LENGTH` / `HISTORY_MAX_AGE_MS` (every kind),
/// - the default of the kind.
///
/// Lengths below 1 become 1; negative ages become 0 (no age limit).
public struct HistoryPolicies: Sendable, Equatable {
    private var overrides: [ChannelKind: HistoryPolicy]

    /// The defaults of every kind.
    public init() {
        self.init(overrides: [:])
    }

    /// The defaults of every kind, with `overrides` replacing some.
    public init(overrides: [ChannelKind: HistoryPolicy]) {
        self.overrides = overrides
    }

    /// The defaults overridden by the environment variables above.
    public init(environment lookup: (String) -> String?) {
        var overrides: [ChannelKind: HistoryPolicy] = [:]
        let allLength = lookup("HISTORY_MAX_LENGTH").flatMap { Int($0) }
        let allAge = lookup("HISTORY_MAX_AGE_MS").flatMap { Int($0) }
        for kind in ChannelKind.allCases {
            let suffix = "_" + kind.rawValue.uppercased()
            let length = lookup("HISTORY_MAX_LENGTH" + suffix).flatMap { Int($0) } ?? allLength
            let age = lookup("HISTORY_MAX_AGE_MS" + suffix).flatMap { Int($0) } ?? allAge
            guard length != nil || age != nil else { continue }
            let base = HistoryPolicy.defaultPolicy(for: kind)
            overrides[kind] = HistoryPolicy(maxLength: length ?? base.maxLength, maxAgeMillis: age ?? base.maxAgeMillis)
        }
        self.init(overrides: overrides)
    }

    /// The policy of `kind`.
    public func policy(for kind: ChannelKind) -> HistoryPolicy {
        var policy = overrides[kind] ?? HistoryPolicy.defaultPolicy(for: kind)
        policy.maxLength = max(1, policy.maxLength)
        policy.maxAgeMillis = max(0, policy.maxAgeMillis)
        return policy
    }

    /// `[maxLength, maxAgeMillis]` of `kind` as script arguments (what `cd_publish` takes).
    public func arguments(for kind: ChannelKind) -> [String] {
        let policy = policy(for: kind)
        return [String(policy.maxLength), String(policy.maxAgeMillis)]
    }
}
