import Foundation

/// Which browser origins may open connections (WebSocket upgrades and Engine.IO polling).
public struct OriginPolicy: Sendable {
    private let allowsAll: Bool
    private let patterns: [String]

    /// Creates a policy from ``SecuritySettings/allowedOrigins`` patterns.
    public init(allowed: [String]) {
        self.allowsAll = allowed.contains("*")
        self.patterns = allowed.map { $0.lowercased() }
    }

    /// Whether a request with this `Origin` header (or none) may connect. A request without one is not
    /// from a browser page and is allowed; `null` (sandboxed pages, files) only when `*` or `null` is listed.
    public func allows(_ origin: String?) -> Bool {
        guard let origin else { return true }
        if allowsAll { return true }
        let value = origin.lowercased()
        return patterns.contains { Self.matches(value, pattern: $0) }
    }

    static func matches(_ origin: String, pattern: String) -> Bool {
        if pattern == origin { return true }
        if pattern.hasSuffix(":*") {
            // http://localhost:* matches http://localhost and http://localhost:<port>
            let base = String(pattern.dropLast(2))
            if origin == base { return true }
            guard origin.hasPrefix(base + ":") else { return false }
            return origin.dropFirst(base.count + 1).allSatisfy(\.isNumber)
        }
        if let star = pattern.range(of: "://*.") {
            // https://*.coindaily.io matches https://app.coindaily.io (one or more labels), not the bare domain
            let scheme = pattern[..<star.lowerBound]
            let domain = pattern[star.upperBound...]
            guard origin.hasPrefix(scheme + "://") else { return false }
            let host = origin.dropFirst(scheme.count + 3)
            return host.hasSuffix("." + domain) && host.count > domain.count + 1
        }
        return false
    }
}
