import CoinDailyProtocol
import NIOCore
import Testing

@testable import CoinDailyWhale

@Suite("Whale simulator")
struct WhaleSimulatorTests {
    func run(seed: UInt64, start: Int64 = t0, seconds: Int) -> [WhaleInput] {
        var simulator = WhaleSimulator(seed: seed)
        return (0..<seconds).flatMap { simulator.next(now: start + Int64($0) * 1000) }
    }

    @Test("the same seed and times give the same items; another seed does not")
    func deterministic() {
        #expect(run(seed: 7, seconds: 120) == run(seed: 7, seconds: 120))
        #expect(run(seed: 7, seconds: 120) != run(seed: 8, seconds: 120))
    }

    @Test("every token ticks on the first call; items pass validation; transfers mix buys, sells and transfers above and below the floor")
    func believable() throws {
        let items = run(seed: 42, seconds: 600)
        var first = WhaleSimulator(seed: 42)
        let opening = first.next(now: t0)
        let ticked = Set(opening.compactMap { if case .price(let p) = $0 { p.token } else { nil } })
        #expect(ticked == Set(SimulatedWhaleToken.defaults.map(\.symbol)))

        let parsed = try WhaleInput.parseBatch(
            ByteBuffer(string: JSONWriter.string(.array(items.map(\.json)))), now: t0 + 600_000, maxItems: 100_000)
        #expect(parsed.inputs == items)

        let transfers = items.compactMap { if case .transfer(let t) = $0 { t } else { nil } }
        #expect(transfers.count > 200, "about 0.7 transfers per second")
        #expect(Set(transfers.map(\.txHash)).count == transfers.count, "hashes are unique")
        let evaluator = WhaleEvaluator(configuration: WhaleConfiguration(), addressBook: .builtIn)
        var market: [String: WhaleMarketState] = [:]
        var alerts: [WhaleAlert] = []
        var below = 0
        for item in items {
            switch item {
            case .price(let tick): market[tick.token, default: WhaleMarketState()].apply(tick)
            case .transfer(let transfer):
                switch evaluator.evaluate(transfer, market: market[transfer.token], now: transfer.timestamp) {
                case .alert(let alert): alerts.append(alert)
                case .belowFloor: below += 1
                case .tooOld, .priceUnknown: Issue.record("unexpected decision for \(transfer)")
                }
            }
        }
        #expect(below > 0 && alerts.count > 0)
        let types = Set(alerts.map(\.type))
        #expect(types == [.buy, .sell, .transfer])
        #expect(Set(alerts.compactMap(\.exchange)).count >= 3)
        #expect(transfers.contains { $0.priceUSD == nil } && transfers.contains { $0.priceUSD != nil })
    }

    @Test("a restarted simulator (same seed, later clock) does not repeat transaction hashes")
    func restartHashes() {
        let hashes: ([WhaleInput]) -> Set<String> = { Set($0.compactMap { if case .transfer(let t) = $0 { t.txHash } else { nil } }) }
        let before = hashes(run(seed: 42, start: t0, seconds: 120))
        let after = hashes(run(seed: 42, start: t0 + 3_600_000, seconds: 120))
        #expect(!before.isEmpty && !after.isEmpty)
        #expect(before.isDisjoint(with: after))
    }
}
