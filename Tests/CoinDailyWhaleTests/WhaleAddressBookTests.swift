import CoinDailyProtocol
import Foundation
import Testing

@testable import CoinDailyWhale

@Suite("Whale address book")
struct WhaleAddressBookTests {
    @Test("the built-in book has Binance, Coinbase, Kraken and OKX wallets, well-formed")
    func builtIn() {
        let book = WhaleAddressBook.builtIn
        let names = Set(book.exchanges.map(\.name))
        #expect(names.isSuperset(of: ["Binance", "Coinbase", "Kraken", "OKX"]))
        #expect(book.count == WhaleAddressBook.builtInExchanges.values.map(\.count).reduce(0, +))
        for address in book.exchanges.flatMap(\.addresses) {
            if address.hasPrefix("0x") {
                #expect(address.count == 42 && address.dropFirst(2).allSatisfy(\.isHexDigit), "\(address)")
            } else {
                let base58 = Set("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
                #expect((32...44).contains(address.count) && address.allSatisfy(base58.contains), "\(address)")
            }
        }
    }

    @Test("parse: the file form, with 0x addresses matched case-insensitively")
    func parse() throws {
        let json = #"{"exchanges":{"Acme":["0xAAAA000000000000000000000000000000000001","SoLaNa1"],"Beta":["0xbbbb"]}}"#
        let book = try WhaleAddressBook.parse(Data(json.utf8))
        #expect(book.exchange(for: "0xaaaa000000000000000000000000000000000001") == "Acme")
        #expect(book.exchange(for: "SoLaNa1") == "Acme")
        #expect(book.exchange(for: "solana1") == nil)
        #expect(book.exchange(for: "0xBBBB") == "Beta")
        #expect(book.count == 3)
        #expect(try WhaleAddressBook.parse(Data(JSONWriter.string(book.json).utf8)) == book, "json round-trips")
    }

    @Test("load from a file; errors for a missing file, malformed content, duplicates and bad entries")
    func loadAndErrors() throws {
        let path = NSTemporaryDirectory() + "whale-book-\(UUID().uuidString).json"
        try Data(#"{"exchanges":{"Acme":["0x01"]}}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try WhaleAddressBook.load(path: path).exchange(for: "0x01") == "Acme")

        #expect(throws: WhaleAddressBookError.self) { try WhaleAddressBook.load(path: path + ".missing") }
        #expect(throws: WhaleAddressBookError.malformed(reason: "not JSON")) { try WhaleAddressBook.parse(Data("{".utf8)) }
        #expect(throws: WhaleAddressBookError.self) { try WhaleAddressBook.parse(Data(#"{"Acme":["0x01"]}"#.utf8)) }
        #expect(throws: WhaleAddressBookError.self) { try WhaleAddressBook.parse(Data(#"{"exchanges":{"Acme":[1]}}"#.utf8)) }
        #expect(throws: WhaleAddressBookError.duplicateAddress(address: "0xAB", exchanges: ["Acme", "Beta"])) {
            try WhaleAddressBook(exchanges: ["Acme": ["0xab"], "Beta": ["0xAB"]])
        }
        #expect(throws: WhaleAddressBookError.invalidEntry(exchange: "Acme", address: "a b")) {
            try WhaleAddressBook(exchanges: ["Acme": ["a b"]])
        }
        #expect(throws: WhaleAddressBookError.invalidEntry(exchange: " ", address: "x")) {
            try WhaleAddressBook(exchanges: [" ": ["x"]])
        }
    }
}
