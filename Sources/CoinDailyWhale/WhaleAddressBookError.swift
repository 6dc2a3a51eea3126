/// Why an address book could not be loaded.
public enum WhaleAddressBookError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The file is not the expected JSON: `{"exchanges": {"<name>": ["<address>", …], …}}`.
    case malformed(reason: String)
    /// An exchange name is empty, or an address is empty, too long or contains whitespace.
    case invalidEntry(exchange: String, address: String)
    /// The same (normalised) address is listed under two exchanges.
    case duplicateAddress(address: String, exchanges: [String])

    /// A one-line message.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "address book \(path) cannot be read: \(reason)"
        case .malformed(let reason): "address book is malformed: \(reason)"
        case .invalidEntry(let exchange, let address): "address book: invalid entry '\(address)' of exchange '\(exchange)'"
        case .duplicateAddress(let address, let exchanges):
            "address book: \(address) is listed under \(exchanges.joined(separator: " and "))"
        }
    }
}
