import CoinDailyProtocol
import Synchronization

/// The token symbols the gateway accepts: the built-in set plus every symbol producers announced in
/// Redis (`cd:tokens`), reloaded periodically.
public final class KnownTokens: Sendable {
    private let symbols = Mutex<Set<String>>(TokenSymbol.builtIn)

    /// Creates the set with the built-in symbols.
    public init() {}

    /// Whether `symbol` (already normalized) is known.
    public func contains(_ symbol: String) -> Bool { symbols.withLock { $0.contains(symbol) } }

    /// Adds symbols read from Redis.
    public func add<S: Sequence>(_ more: S) where S.Element == String {
        let valid = more.compactMap(TokenSymbol.normalize)
        symbols.withLock { $0.formUnion(valid) }
    }

    /// How many symbols are known.
    public var count: Int { symbols.withLock { $0.count } }
}
