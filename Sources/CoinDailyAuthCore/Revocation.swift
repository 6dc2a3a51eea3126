import CoinDailyProtocol

/// One revocation, as the auth service stores it in Redis and announces it on
/// ``RedisKeys/revocationsChannel``.
public enum Revocation: Sendable, Equatable {
    /// One token, by `jti`; `expiresAtMillis` is the token's `exp` (after it the entry can go).
    case token(id: String, expiresAtMillis: Int64)
    /// Every token of a user issued at or before `beforeMillis` (compared by whole seconds, as `iat` is).
    case subject(String, beforeMillis: Int64)

    /// The announcement JSON: `{"jti":"…","exp":ms}` or `{"sub":"…","before":ms}`.
    public var json: String {
        switch self {
        case .token(let id, let exp): JSONWriter.string(["jti": .string(id), "exp": .int(exp)])
        case .subject(let sub, let before): JSONWriter.string(["sub": .string(sub), "before": .int(before)])
        }
    }

    /// Parses an announcement; `nil` when it is not one. Numbers that are not whole milliseconds in range
    /// (`1e300`, `NaN`) never trap: a token's `exp` then counts as "never" (the token stays revoked), a user
    /// entry without a usable `before` is not an announcement.
    public init?(json: String) {
        guard let value = try? JSONValue.parse(json) else { return nil }
        if let jti = value["jti"]?.stringValue, !jti.isEmpty {
            self = .token(id: jti, expiresAtMillis: value["exp"]?.numberValue.flatMap(Self.millis) ?? Int64.max)
        } else if let sub = value["sub"]?.stringValue, !sub.isEmpty, let before = value["before"]?.numberValue.flatMap(Self.millis) {
            self = .subject(sub, beforeMillis: before)
        } else {
            return nil
        }
    }

    private static func millis(_ number: Double) -> Int64? {
        guard number.isFinite else { return nil }
        return Int64(exactly: number.rounded(.towardZero))
    }

    /// Whether this revocation applies to `identity`.
    public func applies(to identity: VerifiedIdentity) -> Bool {
        switch self {
        case .token(let id, _): return identity.tokenId == id
        case .subject(let sub, let before):
            return identity.userId == sub && identity.issuedAtMillis / 1000 <= before / 1000
        }
    }
}
