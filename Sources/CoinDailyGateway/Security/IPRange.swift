import NIOCore

/// An IPv4 or IPv6 address range in CIDR form (`10.0.0.0/8`, `::1/128`), or one address.
public struct IPRange: Sendable, Equatable, CustomStringConvertible {
    /// The network bytes (4 or 16).
    public let bytes: [UInt8]
    /// Prefix length in bits.
    public let prefix: Int

    /// Parses `address` or `address/prefix`; `nil` when it is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = IPRange.addressBytes(first) else { return nil }
        let bits = bytes.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bits).contains(p) else { return nil }
            prefix = p
        }
        self.bytes = bytes
        self.prefix = prefix
    }

    /// Whether `address` (text form) is in the range. IPv4-mapped IPv6 addresses match IPv4 ranges.
    public func contains(_ address: String) -> Bool {
        guard var other = IPRange.addressBytes(address) else { return false }
        if bytes.count == 4, other.count == 16, other[0..<10].allSatisfy({ $0 == 0 }), other[10] == 0xFF, other[11] == 0xFF {
            other = Array(other[12...])
        }
        guard other.count == bytes.count else { return false }
        var remaining = prefix
        for i in bytes.indices where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if bytes[i] & mask != other[i] & mask { return false }
            remaining -= take
        }
        return true
    }

    public var description: String {
        (try? SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: 0).ipAddress).flatMap { $0 }.map { "\($0)/\(prefix)" }
            ?? "?/\(prefix)"
    }

    /// The packed bytes of an IPv4 or IPv6 address in text form.
    static func addressBytes(_ text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: " []")
        guard let address = try? SocketAddress(ipAddress: trimmed, port: 0) else { return nil }
        switch address {
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6):
            return withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        default:
            return nil
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
