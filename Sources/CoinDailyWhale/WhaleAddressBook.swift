public import CoinDailyProtocol
public import Foundation

/// Known exchange wallets: which exchange, if any, an address belongs to.
///
/// A transfer leaving one of these wallets is a `buy`, one arriving at one is a `sell` (see
/// ``WhaleEvaluator``), and the exchange's name fills the alert's `exchange`.
///
/// The file form (flag `--address-book`) is
///
/// ```json
/// {"exchanges": {"Binance": ["0x…", "…"], "Coinbase": ["0x…"]}}
/// ```
///
/// Addresses are compared after ``normalize(_:)``: `0x` + 40 hex digits (EVM) case-insensitively,
/// everything else (base58 Solana or Bitcoin addresses) exactly.
public struct WhaleAddressBook: Sendable, Equatable {
    private var byAddress: [String: String]

    /// The exchanges and their addresses (as given), sorted by exchange name.
    public let exchanges: [(name: String, addresses: [String])]

    /// Builds a book; every exchange name must be non-empty, every address 1–128 characters without
    /// whitespace, and no address may belong to two exchanges.
    public init(exchanges: [String: [String]]) throws(WhaleAddressBookError) {
        var byAddress: [String: String] = [:]
        for name in exchanges.keys.sorted() {
            let trimmedName = name.trimmingCharacters(in: .whitespaces)
            for address in exchanges[name] ?? [] {
                guard !trimmedName.isEmpty, (1...WhaleInput.maxIdentifierLength).contains(address.count),
                    !address.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
                else { throw .invalidEntry(exchange: name, address: address) }
                let key = Self.normalize(address)
                if let other = byAddress[key], other != trimmedName {
                    throw .duplicateAddress(address: address, exchanges: [other, trimmedName])
                }
                byAddress[key] = trimmedName
            }
        }
        self.byAddress = byAddress
        self.exchanges = exchanges.keys.sorted().map { ($0.trimmingCharacters(in: .whitespaces), exchanges[$0] ?? []) }
    }

    /// The exchange that owns `address`, or `nil`.
    public func exchange(for address: String) -> String? {
        byAddress[Self.normalize(address)]
    }

    /// How many addresses the book knows.
    public var count: Int { byAddress.count }

    /// The comparison form of an address: lower-cased when it is `0x` followed only by hex digits, else unchanged.
    public static func normalize(_ address: String) -> String {
        WhaleInput.normalizeHash(address)
    }

    /// Parses the JSON form.
    public static func parse(_ data: Data) throws(WhaleAddressBookError) -> WhaleAddressBook {
        let root: JSONValue
        do {
            root = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw .malformed(reason: "not JSON")
        }
        guard let exchanges = root["exchanges"]?.objectValue else {
            throw .malformed(reason: "expected {\"exchanges\": {\"<name>\": [\"<address>\", …]}}")
        }
        var book: [String: [String]] = [:]
        for (name, value) in exchanges {
            guard let list = value.arrayValue else { throw .malformed(reason: "exchanges.\(name) must be an array of strings") }
            var addresses: [String] = []
            for element in list {
                guard let address = element.stringValue else {
                    throw .malformed(reason: "exchanges.\(name) must be an array of strings")
                }
                addresses.append(address)
            }
            book[name] = addresses
        }
        return try WhaleAddressBook(exchanges: book)
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(WhaleAddressBookError) -> WhaleAddressBook {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        return try parse(data)
    }

    /// The JSON form of this book (what ``parse(_:)`` reads).
    public var json: JSONValue {
        var exchanges: [String: JSONValue] = [:]
        for entry in self.exchanges { exchanges[entry.name] = .strings(entry.addresses) }
        return ["exchanges": .object(exchanges)]
    }

    /// Two books are equal when they map the same addresses to the same exchanges.
    public static func == (lhs: WhaleAddressBook, rhs: WhaleAddressBook) -> Bool { lhs.byAddress == rhs.byAddress }

    /// The built-in book used without `--address-book`: a few made-up but well-formed hot wallets
    /// (EVM and Solana) of Binance, Coinbase, Kraken, OKX and Bybit. Replace it with a real list in production.
    public static let builtIn: WhaleAddressBook = {
        do {
            return try WhaleAddressBook(exchanges: builtInExchanges)
        } catch {
            preconditionFailure("the built-in address book is invalid: \(error)")
        }
    }()

    /// The addresses of ``builtIn``.
    public static let builtInExchanges: [String: [String]] = [
        "Binance": [
            "0xb1a0000000000000000000000000000000000001", "0xb1a0000000000000000000000000000000000002",
            "0xb1a0000000000000000000000000000000000003", "BinanceHotWa11etSo1ana1111111111111111111111",
        ],
        "Coinbase": [
            "0xc0b0000000000000000000000000000000000001", "0xc0b0000000000000000000000000000000000002",
            "CoinbaseHotWa11etSo1ana111111111111111111111",
        ],
        "Kraken": ["0x4b4a000000000000000000000000000000000001", "KrakenHotWa11etSo1ana11111111111111111111111"],
        "OKX": ["0x0c0c000000000000000000000000000000000001", "oKXHotWa11etSo1ana11111111111111111111111111"],
        "Bybit": ["0xbb17000000000000000000000000000000000001"],
    ]
}
