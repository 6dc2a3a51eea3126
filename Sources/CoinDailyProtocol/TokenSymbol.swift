/// Token symbols: validation and the built-in universe.
public enum TokenSymbol {
    /// Upper-cases `raw` and checks it is 1–15 ASCII letters or digits; `nil` otherwise.
    public static func normalize(_ raw: String) -> String? {
        guard !raw.isEmpty, raw.utf8.count <= 15,
            raw.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) })
        else { return nil }
        return raw.uppercased()
    }

    /// Symbols every gateway knows without asking Redis; producers add more to ``RedisKeys/knownTokens``.
    public static let builtIn: Set<String> = [
        "BTC", "ETH", "SOL", "BNB", "XRP", "ADA", "DOGE", "SHIB", "PEPE", "WIF", "BONK", "FLOKI", "AVAX",
        "DOT", "LINK", "MATIC", "POL", "TRX", "TON", "LTC", "NEAR", "APT", "ARB", "OP", "SUI", "INJ", "FET",
        "RNDR", "TIA", "SEI", "MEME", "USDT", "USDC", "ATOM", "XLM", "BCH", "ETC", "FIL", "HBAR", "ICP",
        "UNI", "AAVE", "MKR", "JUP", "PYTH", "WLD", "BOME", "POPCAT", "MEW", "BRETT", "TURBO", "MOG",
        "NEIRO", "TRUMP", "PNUT", "GOAT", "MOODENG",
    ]
}
