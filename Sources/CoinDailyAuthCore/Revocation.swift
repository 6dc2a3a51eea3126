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

    /// Parses an announcement; `nil` when it is not one.
    public init?(json: String) {
        guard let value = try? JSONValue.parse(json) else { return nil }
        if let jti = value["jti"]?.stringValue, !jti.isEmpty {
            self = .token(id: jti, expiresAtMillis: value["exp"]?.numberValue.map { Int64($0) } ?? Int64.max)
        } else if let sub = value["sub"]?.stringValue, !sub.isEmpty, let before = value["before"]?.numberValue {
            self = .subject(sub, beforeMillis: Int64(before))
        } else {
            return nil
        }
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
