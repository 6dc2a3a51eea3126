import NIOCore
import NIOHTTP1

/// Finds the real client IP of a request: the TCP peer, or — when the peer is a trusted proxy — the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
public struct ClientAddressResolver: Sendable {
    /// The trusted proxies.
    public let trusted: [IPRange]

    /// Creates a resolver; entries of `trustedProxies` that do not parse are returned by ``invalid``.
    public init(trustedProxies: [String]) {
        self.trusted = trustedProxies.compactMap(IPRange.init)
    }

    /// The configured entries that are not addresses or CIDR ranges (for a startup error).
    public static func invalid(_ trustedProxies: [String]) -> [String] {
        trustedProxies.filter { IPRange($0) == nil }
    }

    /// The client IP for a request from `peer` with `headers`.
    public func clientIP(peer: SocketAddress?, headers: HTTPHeaders) -> String {
        let peerIP = peer?.ipAddress ?? "unknown"
        guard !trusted.isEmpty, isTrusted(peerIP) else { return peerIP }
        let hops = headers[canonicalForm: "X-Forwarded-For"].map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        guard !hops.isEmpty else { return peerIP }
        for hop in hops.reversed() where !isTrusted(hop) {
            return IPRange.addressBytes(hop) != nil ? hop : peerIP
        }
        return hops.first.flatMap { IPRange.addressBytes($0) != nil ? $0 : nil } ?? peerIP
    }

    private func isTrusted(_ ip: String) -> Bool { trusted.contains { $0.contains(ip) } }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
