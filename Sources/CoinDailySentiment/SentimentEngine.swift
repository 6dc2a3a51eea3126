import Foundation

/// The sentiment producer's model: turns signals and price ticks into ``SentimentReading``s and
/// decides when each token's reading is due for emission.
///
/// ## Model
/// For each token and source the engine keeps an exponentially decaying weighted aggregate of
/// the signals (see ``SentimentConfiguration/halfLife``). At time `now`, a source is *live* when
/// its newest signal is younger than ``SentimentConfiguration/staleAfterHalfLives`` half-lives,
/// and has score `sₛ = Σ wᵢ·dᵢ·scoreᵢ / Σ wᵢ·dᵢ` (decay `dᵢ = exp(-ln2 · ageᵢ / halfLife)`) and
/// effective weight `Eₛ = Σ wᵢ·dᵢ`. With source weights `Wₛ` (``SentimentConfiguration/sourceWeights``;
/// sources weighted 0 are ignored) and `L` the set of live sources:
///
/// - **score** = `clamp(Σ_L Wₛ·sₛ / Σ_L Wₛ, -1, 1)`, 0 when no source is live.
/// - **confidence** = coverage × evidence × agreement, each in [0, 1]:
///   - coverage = `Σ_L Wₛ / Σ_all Wₛ` — the share of the model that has live data;
///   - evidence = `1 - exp(-Σ_L Eₛ / evidenceScale)` — grows with the amount of recent signal;
///   - agreement = `1 - min(1, σ)`, σ the `Wₛ`-weighted standard deviation of the live `sₛ`
///     around the score — 1 when the sources agree, 0 when they split between -1 and +1.
///
///   So confidence is 0 with no live source, rises with every additional agreeing signal or
///   source, falls when sources disagree, and never exceeds 1.
/// - **sentiment** labels the rounded score with ``SentimentConfiguration/labelThresholds``.
/// - **sources** holds each live source's `sₛ` (0 when the source has no live signal).
/// - **priceChange24h** compares the latest price with the newest sample at or before
///   `now - 24h` (the oldest sample when the history is shorter); 0 with fewer than two samples.
/// - **trendingRank** is whatever ``setTrendingRank(token:rank:)`` last set (omitted when nil).
///
/// Every `Double` of a reading is rounded to 4 decimal places.
///
/// ## Emission
/// ``dueReadings(now:markEmitted:)`` returns a token's reading when it was never emitted, when
/// ``SentimentConfiguration/emitInterval`` (30 s) has passed since its last emission, or — after
/// at least ``SentimentConfiguration/minImmediateGap`` (1 s), and only if an input arrived since —
/// when its rounded score moved by at least ``SentimentConfiguration/significantScoreChange``
/// (0.10) from the last emitted score or its label changed.
///
/// ## Concurrency
/// A value type with mutating methods and no locks: confine each engine to one caller (one task,
/// actor or event loop). Times are Unix epoch milliseconds supplied by the caller; the engine never
/// reads a clock, so it is deterministic and testable.
public struct SentimentEngine: Sendable {
    /// The configuration in force.
    public let configuration: SentimentConfiguration

    private var states: [String: TokenSentimentState] = [:]
    private var trendingRanks: [String: Int] = [:]

    // Configuration converted once to the engine's units (milliseconds).
    private let halfLifeMilliseconds: Double
    private let staleAfterMilliseconds: Double
    private let emitIntervalMilliseconds: Int64
    private let minImmediateGapMilliseconds: Int64
    private let priceWindowMilliseconds: Int64
    private let priceSampleIntervalMilliseconds: Int64

    /// A tolerance for comparing rounded scores with the significance threshold, so that a move
    /// from 0.2 to 0.3 counts as 0.1 despite binary floating point.
    private static let comparisonTolerance = 1e-9

    /// Creates an empty engine.
    ///
    /// - Throws: ``SentimentConfigurationError`` when `configuration` fails
    ///   ``SentimentConfiguration/validate()``.
    public init(configuration: SentimentConfiguration = SentimentConfiguration()) throws(SentimentConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        halfLifeMilliseconds = configuration.halfLife.milliseconds
        staleAfterMilliseconds = halfLifeMilliseconds * configuration.staleAfterHalfLives
        emitIntervalMilliseconds = Int64(configuration.emitInterval.milliseconds.rounded(.up))
        minImmediateGapMilliseconds = Int64(configuration.minImmediateGap.milliseconds.rounded(.up))
        priceWindowMilliseconds = Int64(configuration.priceChangeWindow.milliseconds.rounded())
        priceSampleIntervalMilliseconds = max(1, Int64(configuration.priceSampleInterval.milliseconds.rounded()))
    }

    // MARK: Inputs

    /// Applies one input.
    ///
    /// The token is uppercased. A signal's score is clamped to [-1, 1]. Returns `false` (and
    /// changes nothing) when the input is unusable — a signal whose score is not finite or whose
    /// weight is not a finite number > 0, a price that is not a finite number > 0 — or when it is
    /// for a new token while ``SentimentConfiguration/maxTokens`` tokens are already tracked.
    @discardableResult
    public mutating func apply(_ input: SentimentInput) -> Bool {
        switch input {
        case .signal(let signal):
            guard signal.score.isFinite, signal.weight.isFinite, signal.weight > 0 else { return false }
            let score = min(1, max(-1, signal.score))
            let index = signal.source.index
            let halfLife = halfLifeMilliseconds
            return update(token: signal.token, at: signal.timestamp) { state in
                if state.aggregates[index] == nil {
                    state.aggregates[index] = DecayingAggregate(score: score, weight: signal.weight, at: signal.timestamp)
                } else {
                    state.aggregates[index]!.add(score: score, weight: signal.weight, at: signal.timestamp, halfLifeMilliseconds: halfLife)
                }
            }
        case .price(let tick):
            guard tick.price.isFinite, tick.price > 0 else { return false }
            return update(token: tick.token, at: tick.timestamp) { state in
                state.prices.record(price: tick.price, at: tick.timestamp)
            }
        }
    }

    /// Applies several inputs in order; returns how many were applied (see ``apply(_:)``).
    @discardableResult
    public mutating func apply(contentsOf inputs: some Sequence<SentimentInput>) -> Int {
        var applied = 0
        for input in inputs where apply(input) {
            applied += 1
        }
        return applied
    }

    /// Sets (or, with `nil`, clears) a token's trending rank, reported as `trendingRank`.
    ///
    /// Until a trending producer calls this, readings carry no `trendingRank`. Setting a rank does
    /// not by itself make a token known or trigger an emission; the rank shows in the token's next
    /// reading.
    public mutating func setTrendingRank(token: String, rank: Int?) {
        trendingRanks[token.uppercased()] = rank
    }

    /// Forgets every token whose newest input is older than `idleFor` at `now`, with its history
    /// and emission state; returns the removed tokens, sorted.
    @discardableResult
    public mutating func removeIdleTokens(now: Int64, idleFor: Duration) -> [String] {
        let cutoff = now - Int64(idleFor.milliseconds.rounded())
        let idle = states.filter { $0.value.lastInputAt < cutoff }.map(\.key).sorted()
        for token in idle {
            states[token] = nil
        }
        return idle
    }

    // MARK: Readings

    /// The tokens that have received at least one input, sorted.
    public var tokens: [String] { states.keys.sorted() }

    /// The token's reading at `now`, or `nil` when the token never received an input.
    /// Does not change the emission state.
    public func reading(for token: String, now: Int64) -> SentimentReading? {
        let token = token.uppercased()
        guard let state = states[token] else { return nil }
        return makeReading(token: token, state: state, now: now)
    }

    /// One source's aggregate for a token at `now`, or `nil` when that source never reported on
    /// the token.
    public func sourceSnapshot(token: String, source: SentimentSource, now: Int64) -> SentimentSourceSnapshot? {
        guard let aggregate = states[token.uppercased()]?.aggregates[source.index] else { return nil }
        return SentimentSourceSnapshot(
            source: source,
            score: aggregate.score,
            effectiveWeight: aggregate.weight(at: now, halfLifeMilliseconds: halfLifeMilliseconds),
            lastSignalAt: aggregate.lastSignalAt,
            isLive: aggregate.isLive(at: now, staleAfterMilliseconds: staleAfterMilliseconds)
        )
    }

    /// The readings due at `now` (see *Emission* above), sorted by token.
    ///
    /// - Parameters:
    ///   - now: The current time, epoch ms; it becomes each reading's `timestamp`.
    ///   - markEmitted: When `true` (the default) the returned readings count as emitted. Pass
    ///     `false` to publish first and call ``markEmitted(_:)`` for each reading that was sent.
    public mutating func dueReadings(now: Int64, markEmitted: Bool = true) -> [SentimentReading] {
        var due: [SentimentReading] = []
        for token in states.keys.sorted() {
            guard let state = states[token] else { continue }
            let reading: SentimentReading
            if let lastEmittedAt = state.lastEmittedAt {
                let elapsed = now - lastEmittedAt
                if elapsed >= emitIntervalMilliseconds {
                    reading = makeReading(token: token, state: state, now: now)
                } else if state.changedSinceEmission, elapsed >= minImmediateGapMilliseconds {
                    let candidate = makeReading(token: token, state: state, now: now)
                    let moved = abs(candidate.score - state.lastEmittedScore)
                        >= configuration.significantScoreChange - Self.comparisonTolerance
                    guard moved || candidate.sentiment != state.lastEmittedLabel else { continue }
                    reading = candidate
                } else {
                    continue
                }
            } else {
                reading = makeReading(token: token, state: state, now: now)
            }
            due.append(reading)
            if markEmitted {
                self.markEmitted(reading)
            }
        }
        return due
    }

    /// Records that `reading` was emitted at its `timestamp`: the periodic interval, the
    /// significance comparison and the rate limit of its token restart from it.
    public mutating func markEmitted(_ reading: SentimentReading) {
        guard var state = states[reading.token] else { return }
        state.lastEmittedAt = reading.timestamp
        state.lastEmittedScore = reading.score
        state.lastEmittedLabel = reading.sentiment
        state.changedSinceEmission = false
        states[reading.token] = state
    }

    // MARK: Internals

    /// Runs `body` on the token's state, creating it when the token limit allows.
    private mutating func update(token: String, at timestamp: Int64, _ body: (inout TokenSentimentState) -> Void) -> Bool {
        let token = token.uppercased()
        if states[token] == nil {
            guard states.count < configuration.maxTokens else { return false }
            states[token] = TokenSentimentState(
                prices: PriceHistory(
                    capacity: configuration.priceHistoryCapacity,
                    sampleIntervalMilliseconds: priceSampleIntervalMilliseconds
                ),
                firstInputAt: timestamp
            )
        }
        // `states[token]!` is modified in place (no copy of the state or its price ring).
        body(&states[token]!)
        states[token]!.lastInputAt = max(states[token]!.lastInputAt, timestamp)
        states[token]!.changedSinceEmission = true
        return true
    }

    /// Rounds to 4 decimal places, turning -0 into 0.
    static func round4(_ value: Double) -> Double {
        (value * 10_000).rounded() / 10_000 + 0.0
    }

    private func makeReading(token: String, state: TokenSentimentState, now: Int64) -> SentimentReading {
        let weights = configuration.sourceWeights
        var sources = SentimentSourceValues()
        var live: [(weight: Double, score: Double)] = []
        live.reserveCapacity(SentimentSource.allCases.count)
        var effectiveWeight = 0.0
        for source in SentimentSource.allCases {
            guard let aggregate = state.aggregates[source.index],
                  aggregate.isLive(at: now, staleAfterMilliseconds: staleAfterMilliseconds)
            else { continue }
            sources[source] = aggregate.score
            guard weights[source] > 0 else { continue }
            live.append((weights[source], aggregate.score))
            effectiveWeight += aggregate.weight(at: now, halfLifeMilliseconds: halfLifeMilliseconds)
        }

        let liveWeight = live.reduce(0) { $0 + $1.weight }
        var score = 0.0
        var confidence = 0.0
        if liveWeight > 0 {
            let mean = live.reduce(0) { $0 + $1.weight * $1.score } / liveWeight
            score = min(1, max(-1, mean))
            let variance = live.reduce(0) { $0 + $1.weight * ($1.score - mean) * ($1.score - mean) } / liveWeight
            let coverage = liveWeight / weights.total
            let evidence = 1 - exp(-effectiveWeight / configuration.evidenceScale)
            let agreement = 1 - min(1, variance.squareRoot())
            confidence = min(1, max(0, coverage * evidence * agreement))
        }

        let roundedScore = Self.round4(score)
        return SentimentReading(
            token: token,
            sentiment: SentimentLabel(score: roundedScore, thresholds: configuration.labelThresholds),
            score: roundedScore,
            confidence: Self.round4(confidence),
            sources: SentimentSourceValues(
                social: Self.round4(sources.social),
                news: Self.round4(sources.news),
                whale: Self.round4(sources.whale),
                technical: Self.round4(sources.technical)
            ),
            trendingRank: trendingRanks[token],
            priceChange24h: Self.round4(state.prices.percentChange(now: now, windowMilliseconds: priceWindowMilliseconds)),
            timestamp: now
        )
    }
}
