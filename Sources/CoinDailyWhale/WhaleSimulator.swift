import CoinDailyProducer
import Foundation

/// A deterministic synthetic feed of transfers and price ticks for `--simulate`.
///
/// Prices follow a geometric random walk (about 1 % per hour), 24 h volumes wander around their typical
/// value; each token sends a price tick every ``priceTickInterval`` (all of them on the first call, so
/// transfers can be valued at once). Transfers arrive as a Poisson process per token; sizes are
/// log-normal around the token's median (roughly a third exceed the default alert floor); 35 % leave an
/// exchange wallet of the address book (buys), 35 % arrive at one (sells), 10 % go between exchanges and
/// 20 % between unknown wallets. 40 % carry `priceUSD`, the others rely on the ticks. Transaction hashes
/// mix random bits with `now`, so a restarted simulator does not repeat the hashes of an earlier run.
///
/// The same seed and the same sequence of `now` values always give the same items.
public struct WhaleSimulator: Sendable {
    /// The seed.
    public let seed: UInt64
    /// The universe.
    public let tokens: [SimulatedWhaleToken]
    /// Time between two price ticks of a token, ms (default 15 000).
    public let priceTickInterval: Int64
    private var rng: Xoshiro256StarStar
    private var prices: [Double]
    private var lastTick: [Int64?]
    private var last: Int64?
    private let exchangeAddresses: [SimulatedWhaleToken.Chain: [String]]

    /// Creates a simulator; exchange wallets come from `addressBook`.
    public init(
        seed: UInt64, tokens: [SimulatedWhaleToken] = SimulatedWhaleToken.defaults, addressBook: WhaleAddressBook = .builtIn,
        priceTickInterval: Int64 = 15_000
    ) {
        self.seed = seed
        self.tokens = tokens
        self.priceTickInterval = priceTickInterval
        self.rng = Xoshiro256StarStar(seed: seed)
        self.prices = tokens.map(\.price)
        self.lastTick = tokens.map { _ in nil }
        let all = addressBook.exchanges.flatMap(\.addresses)
        let isEVM: (String) -> Bool = { $0.hasPrefix("0x") || $0.hasPrefix("0X") }
        self.exchangeAddresses = [.evm: all.filter(isEVM), .solana: all.filter { !isEVM($0) }]
    }

    /// The items of the interval since the previous call (the first call covers one second; at most a
    /// minute is simulated per call).
    public mutating func next(now: Int64) -> [WhaleInput] {
        let elapsed = min(60_000, max(0, now - (last ?? (now - 1000))))
        last = now
        let hours = Double(elapsed) / 3_600_000
        var items: [WhaleInput] = []
        for (i, token) in tokens.enumerated() {
            prices[i] *= exp(0.01 * hours.squareRoot() * rng.nextGaussian())
            if lastTick[i] == nil || now - lastTick[i]! >= priceTickInterval {
                lastTick[i] = now
                let volume = token.volume24h * exp(0.15 * rng.nextGaussian())
                items.append(.price(WhalePriceTick(token: token.symbol, price: prices[i], volume24h: volume.rounded(), timestamp: now)))
            }
        }
        for (i, token) in tokens.enumerated() {
            for _ in 0..<rng.nextPoisson(token.transfersPerHour * hours) {
                items.append(.transfer(transfer(of: token, price: prices[i], now: now)))
            }
        }
        return items
    }

    private mutating func transfer(of token: SimulatedWhaleToken, price: Double, now: Int64) -> WhaleTransfer {
        let amountUSD = token.medianUSD * exp(1.2 * rng.nextGaussian())
        let amount = (amountUSD / price).rounded()
        let exchanges = exchangeAddresses[token.chain] ?? []
        let direction = rng.nextUniform()
        let from: String
        let to: String
        if exchanges.isEmpty || direction >= 0.8 {
            (from, to) = (wallet(token.chain), wallet(token.chain))
        } else if direction < 0.35 {
            (from, to) = (pick(exchanges), wallet(token.chain))
        } else if direction < 0.7 {
            (from, to) = (wallet(token.chain), pick(exchanges))
        } else {
            (from, to) = (pick(exchanges), pick(exchanges))
        }
        let withPrice = rng.nextUniform() < 0.4
        let delay = Int64(rng.nextUniform(0, 5000))
        return WhaleTransfer(
            token: token.symbol, amount: max(1, amount), from: from, to: to, txHash: hash(token.chain, now: now),
            priceUSD: withPrice ? price : nil, timestamp: now - delay)
    }

    private mutating func pick(_ addresses: [String]) -> String {
        addresses[Int(rng.next() % UInt64(addresses.count))]
    }

    private mutating func wallet(_ chain: SimulatedWhaleToken.Chain) -> String {
        switch chain {
        case .evm: "0x" + hex(words: 3).prefix(40)
        case .solana: base58(length: 44)
        }
    }

    private mutating func hash(_ chain: SimulatedWhaleToken.Chain, now: Int64) -> String {
        switch chain {
        case .evm:
            var words = (0..<4).map { _ in rng.next() }
            words[0] ^= UInt64(bitPattern: now)
            return "0x" + words.map { String(repeating: "0", count: 16 - String($0, radix: 16).count) + String($0, radix: 16) }.joined()
        case .solana:
            return base58(length: 72) + base58(of: UInt64(bitPattern: now))
        }
    }

    private mutating func hex(words: Int) -> String {
        (0..<words).map { _ in
            let word = rng.next()
            let text = String(word, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }

    private static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")

    private mutating func base58(length: Int) -> String {
        String((0..<length).map { _ in Self.alphabet[Int(rng.next() % 58)] })
    }

    private func base58(of value: UInt64) -> String {
        var value = value
        var characters: [Character] = []
        repeat {
            characters.append(Self.alphabet[Int(value % 58)])
            value /= 58
        } while value > 0
        return String(characters.reversed())
    }
}
