import Testing

@testable import CoinDailyWhale

@Suite("Whale rules")
struct WhaleEvaluatorTests {
    static let binance = "0xb1a0000000000000000000000000000000000001"
    static let coinbase = "0xc0b0000000000000000000000000000000000001"
    static let alice = "0x1111111111111111111111111111111111111111"
    static let bob = "0x2222222222222222222222222222222222222222"
    let evaluator = WhaleEvaluator(configuration: WhaleConfiguration(), addressBook: .builtIn)

    func transfer(from: String = alice, to: String = bob, amount: Double = 1000, price: Double? = 200, at timestamp: Int64 = t0)
        -> WhaleTransfer
    {
        WhaleTransfer(token: "ETH", amount: amount, from: from, to: to, txHash: "0xabc", priceUSD: price, timestamp: timestamp)
    }

    func alertOf(_ decision: WhaleDecision) -> WhaleAlert? {
        if case .alert(let alert) = decision { return alert }
        return nil
    }

    @Test("type and exchange from the address book (case-insensitive for 0x addresses)")
    func classification() {
        #expect(evaluator.classify(from: Self.binance, to: Self.alice) == (.buy, "Binance"))
        #expect(evaluator.classify(from: Self.binance.uppercased().replacingOccurrences(of: "0X", with: "0x"), to: Self.alice) == (.buy, "Binance"))
        #expect(evaluator.classify(from: Self.alice, to: Self.coinbase) == (.sell, "Coinbase"))
        #expect(evaluator.classify(from: Self.binance, to: Self.coinbase) == (.transfer, "Binance"))
        #expect(evaluator.classify(from: Self.alice, to: Self.bob) == (.transfer, nil))
        #expect(evaluator.classify(from: "BinanceHotWa11etSo1ana1111111111111111111111", to: "x") == (.buy, "Binance"))
        #expect(evaluator.classify(from: "binanceHotWa11etSo1ana1111111111111111111111", to: "x") == (.transfer, nil), "base58 is case-sensitive")
    }

    @Test("an alert carries the spec's fields, amountUSD from the given price, rounded to cents")
    func alertFields() throws {
        let decision = evaluator.evaluate(transfer(from: Self.binance, amount: 1234.5678, price: 100.001), market: nil, now: t0 + 1000)
        let alert = try #require(alertOf(decision))
        #expect(alert == WhaleAlert(
            token: "ETH", type: .buy, amount: 1234.5678, amountUSD: 123_458.01, from: Self.binance, to: Self.bob, txHash: "0xabc",
            exchange: "Binance", impact: .low, timestamp: t0))
        #expect(alert.data == [
            "token": "ETH", "type": "buy", "amount": 1234.5678, "amountUSD": 123_458.01, "from": .string(Self.binance),
            "to": .string(Self.bob), "txHash": "0xabc", "exchange": "Binance", "impact": "low", "timestamp": .int(t0),
        ])
        let plain = try #require(alertOf(evaluator.evaluate(transfer(), market: nil, now: t0)))
        #expect(plain.data["exchange"] == nil, "exchange is omitted when no exchange is involved")
    }

    @Test("without priceUSD the market's newest price is used; without either the price is unknown")
    func marketPrice() throws {
        let market = WhaleMarketState(price: 300, timestamp: t0 - minute, volume24h: nil)
        let alert = try #require(alertOf(evaluator.evaluate(transfer(price: nil), market: market, now: t0)))
        #expect(alert.amountUSD == 300_000)
        #expect(alertOf(evaluator.evaluate(transfer(price: 250), market: market, now: t0))?.amountUSD == 250_000, "priceUSD wins")
        #expect(evaluator.evaluate(transfer(price: nil), market: nil, now: t0) == .priceUnknown)
        #expect(evaluator.evaluate(transfer(price: nil), market: WhaleMarketState(volume24h: 5), now: t0) == .priceUnknown)
    }

    @Test("the floor: from minAlertUSD on (inclusive), configurable")
    func floor() {
        #expect(evaluator.evaluate(transfer(amount: 499.99, price: 200), market: nil, now: t0) == .belowFloor(amountUSD: 99_998))
        #expect(alertOf(evaluator.evaluate(transfer(amount: 500, price: 200), market: nil, now: t0)) != nil)
        let strict = WhaleEvaluator(configuration: WhaleConfiguration(minAlertUSD: 1_000_000), addressBook: .builtIn)
        #expect(strict.evaluate(transfer(amount: 4000, price: 200), market: nil, now: t0) == .belowFloor(amountUSD: 800_000))
    }

    @Test("older than maxAlertAge on arrival: no alert")
    func tooOld() {
        #expect(evaluator.evaluate(transfer(at: t0 - 24 * hour - 1), market: nil, now: t0) == .tooOld)
        #expect(alertOf(evaluator.evaluate(transfer(at: t0 - 24 * hour), market: nil, now: t0)) != nil)
    }

    @Test("impact by share of the 24 h volume: >= 1 % high, >= 0.1 % medium")
    func impactByVolume() {
        let thresholds = WhaleImpactThresholds()
        #expect(thresholds.impact(amountUSD: 1_000_000, volume24h: 100_000_000) == .high)
        #expect(thresholds.impact(amountUSD: 999_999, volume24h: 100_000_000) == .medium)
        #expect(thresholds.impact(amountUSD: 100_000, volume24h: 100_000_000) == .medium)
        #expect(thresholds.impact(amountUSD: 99_999, volume24h: 100_000_000) == .low)
        let market = WhaleMarketState(price: 200, timestamp: t0, volume24h: 10_000_000)
        #expect(alertOf(evaluator.evaluate(transfer(amount: 500, price: nil), market: market, now: t0))?.impact == .high)
    }

    @Test("impact without a volume (unknown or 0): >= 10 M high, >= 1 M medium")
    func impactFallback() {
        let thresholds = WhaleImpactThresholds()
        #expect(thresholds.impact(amountUSD: 10_000_000, volume24h: nil) == .high)
        #expect(thresholds.impact(amountUSD: 9_999_999, volume24h: nil) == .medium)
        #expect(thresholds.impact(amountUSD: 1_000_000, volume24h: 0) == .medium)
        #expect(thresholds.impact(amountUSD: 999_999, volume24h: nil) == .low)
        let custom = WhaleImpactThresholds(highVolumeShare: 0.5, mediumVolumeShare: 0.2, fallbackHighUSD: 200, fallbackMediumUSD: 100)
        #expect(custom.impact(amountUSD: 150, volume24h: nil) == .medium)
        #expect(custom.impact(amountUSD: 40, volume24h: 100) == .medium)
        #expect(custom.impact(amountUSD: 10, volume24h: 100) == .low)
    }

    @Test("configuration validation")
    func configuration() {
        #expect(throws: Never.self) { try WhaleConfiguration().validate() }
        #expect(throws: WhaleConfigurationError.self) { try WhaleConfiguration(minAlertUSD: -1).validate() }
        #expect(throws: WhaleConfigurationError.self) {
            try WhaleConfiguration(impact: WhaleImpactThresholds(highVolumeShare: 0.001, mediumVolumeShare: 0.01)).validate()
        }
        #expect(throws: WhaleConfigurationError.self) {
            try WhaleConfiguration(maxAlertAge: .seconds(3600), seenTTL: .seconds(3600)).validate()
        }
        #expect(throws: Never.self) { try WhaleConfiguration(maxAlertAge: .seconds(3600), seenTTL: .seconds(3601 + 300)).validate() }
        #expect(throws: WhaleConfigurationError.self) { try WhaleConfiguration(maxBatchItems: 0).validate() }
    }

    @Test("market state: a tick applies unless older than the current price; volume survives a tick without one")
    func marketState() {
        var state = WhaleMarketState()
        var applied = state.apply(WhalePriceTick(token: "ETH", price: 1, volume24h: 10, timestamp: t0))
        #expect(applied)
        applied = state.apply(WhalePriceTick(token: "ETH", price: 2, timestamp: t0 + 1))
        #expect(applied)
        #expect(state == WhaleMarketState(price: 2, timestamp: t0 + 1, volume24h: 10))
        applied = state.apply(WhalePriceTick(token: "ETH", price: 3, volume24h: 99, timestamp: t0))
        #expect(!applied)
        #expect(state == WhaleMarketState(price: 2, timestamp: t0 + 1, volume24h: 10))
        applied = state.apply(WhalePriceTick(token: "ETH", price: 4, volume24h: 20, timestamp: t0 + 1))
        #expect(applied, "ties: the later tick wins")
        #expect(state == WhaleMarketState(price: 4, timestamp: t0 + 1, volume24h: 20))
    }
}
