import Foundation

/// A parsed `http://`, `ws://` URL (TLS schemes are not supported by these small clients).
public struct ClientURL: Sendable, Equatable {
    /// `http` or `ws`.
    public var scheme: String
    /// Host name or address.
    public var host: String
    /// Port (default 80).
    public var port: Int
    /// Path and query, at least `/`.
    public var pathAndQuery: String

    /// Errors of parsing.
    public enum ParseError: Error, CustomStringConvertible {
        case invalid(String)
        public var description: String {
            switch self {
            case .invalid(let s): "invalid URL '\(s)': expected http://host:port/path or ws://host:port/path"
            }
        }
    }

    /// Parses `url`.
    public init(_ url: String) throws {
        guard let schemeEnd = url.range(of: "://") else { throw ParseError.invalid(url) }
        let scheme = String(url[..<schemeEnd.lowerBound]).lowercased()
        guard scheme == "http" || scheme == "ws" else { throw ParseError.invalid(url) }
        let rest = url[schemeEnd.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var path = String(rest[slash...])
        if path.isEmpty { path = "/" }
        let hostPort = authority.split(separator: ":", maxSplits: 1)
        guard let hostPart = hostPort.first, !hostPart.isEmpty else { throw ParseError.invalid(url) }
        var port = 80
        if hostPort.count == 2 {
            guard let p = Int(hostPort[1]), (1...65535).contains(p) else { throw ParseError.invalid(url) }
            port = p
        }
        self.scheme = scheme
        self.host = String(hostPart)
        self.port = port
        self.pathAndQuery = path
    }
}
