import CoinDailySentiment
import Foundation
import Testing

@Suite("Simulator")
struct SentimentSimulatorTests {
    /// Runs `steps` calls `interval` apart and returns every batch.
    private func run(seed: UInt64, steps: Int, interval: Int64 = 5 * second) -> [[SentimentInput]] {
        var simulator = SentimentSimulator(seed: seed)
        return (0..<steps).map { simulator.next(now: t0 + Int64($0) * interval) }
    }

    @Test("the same seed gives the same sequence; another seed a different one")
    func determinism() {
        let a = run(seed: 42, steps: 200)
        let b = run(seed: 42, steps: 200)
        let c = run(seed: 43, steps: 200)
        #expect(a == b)
        #expect(a != c)
        #expect(a.joined().count > 1000)
    }

    @Test("default tokens: a few dozen valid, distinct symbols including the majors and memecoins")
    func defaultTokens() {
        let tokens = SentimentSimulator.defaultTokens
        #expect(tokens.count >= 30)
        #expect(Set(tokens).count == tokens.count)
        #expect(tokens.allSatisfy { $0.range(of: "^[A-Z0-9]{1,15}$", options: .regularExpression) != nil })
        for token in ["BTC", "ETH", "SOL", "DOGE", "PEPE", "WIF", "BONK", "MEME"] {
            #expect(tokens.contains(token))
        }
    }

    @Test("the first call is a warm-up: one signal per source and one price tick per token")
    func warmUp() {
        var simulator = SentimentSimulator(seed: 1, tokens: ["btc", "ETH"])
        #expect(simulator.tokens == ["BTC", "ETH"])
        let batch = simulator.next(now: t0)
        #expect(batch.count == 2 * 5)
        #expect(batch.allSatisfy { $0.timestamp == t0 })
        #expect(simulator.next(now: t0).isEmpty) // time did not advance
    }

    @Test("six simulated hours stay plausible: scores in [-1, 1], weights > 0, prices > 0, timestamps in the step")
    func plausibility() throws {
        var simulator = SentimentSimulator(seed: 2024)
        let tokens = Set(SentimentSimulator.defaultTokens)
        var previous = t0
        _ = simulator.next(now: t0)
        var counts: [SentimentSource: Int] = [:]
        var startPrice: [String: Double] = [:]
        for token in tokens {
            let price: Double = try #require(simulator.price(of: token))
            startPrice[token] = price
        }
        for step in 1...(6 * 120) {
            let now = t0 + Int64(step) * 30 * second
            let batch = simulator.next(now: now)
            #expect(zip(batch, batch.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
            var ticked = Set<String>()
            for input in batch {
                #expect(tokens.contains(input.token))
                #expect(input.timestamp > previous && input.timestamp <= now)
                switch input {
                case .signal(let signal):
                    #expect((-1...1).contains(signal.score))
                    #expect(signal.weight > 0 && signal.weight.isFinite)
                    counts[signal.source, default: 0] += 1
                case .price(let tick):
                    #expect(tick.price > 0 && tick.price.isFinite)
                    #expect((tick.volume24h ?? -1) >= 0)
                    ticked.insert(tick.token)
                }
            }
            #expect(ticked == tokens)
            previous = now
        }
        for token in tokens {
            let sentiment = try #require(simulator.latentSentiment(of: token))
            #expect(sentiment > -1 && sentiment < 1)
            // Six hours of even a memecoin's volatility stay well within ×/÷ 2.
            let price: Double = try #require(simulator.price(of: token))
            let ratio = price / (startPrice[token] ?? 1)
            #expect(ratio > 0.5 && ratio < 2)
        }
        // Per hour for a popularity-1 token: social 120, technical 12, news 6, whale 2.
        let social = counts[.social] ?? 0, technical = counts[.technical] ?? 0
        let news = counts[.news] ?? 0, whale = counts[.whale] ?? 0
        #expect(social > technical && technical > news && news > whale && whale > 0)
    }

    @Test("the engine's score tracks the simulator's latent sentiment across tokens")
    func engineTracksLatentSentiment() throws {
        var simulator = SentimentSimulator(seed: 99)
        var engine = try SentimentEngine()
        var now = t0
        for _ in 0..<(2 * 120) {
            engine.apply(contentsOf: simulator.next(now: now))
            now += 30 * second
        }
        now -= 30 * second
        var latent: [Double] = []
        var scores: [Double] = []
        for token in SentimentSimulator.defaultTokens {
            latent.append(try #require(simulator.latentSentiment(of: token)))
            scores.append(try #require(engine.reading(for: token, now: now)?.score))
        }
        #expect(correlation(latent, scores) > 0.6)
    }

    private func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }
}
