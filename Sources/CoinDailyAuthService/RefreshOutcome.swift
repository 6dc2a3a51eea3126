/// What presenting a refresh token did (see ``RefreshTokenStore/rotate(_:newTokenID:nowMillis:)``).
enum RefreshOutcome: Sendable, Equatable {
    /// The token was valid and is now used; a new refresh token of the same family was stored and the new
    /// access token's `jti` recorded with `expiresAtMillis`.
    case rotated(sub: String, roles: [String], ttl: Int, family: String, expiresAtMillis: Int64)
    /// The token had been used before: the family is now revoked and `revoked` lists its access tokens
    /// (by `jti`, with `exp` in ms) that had not expired — they are in `cd:auth:revoked:jti` already.
    case reused(sub: String, family: String, revoked: [(id: String, expiresAtMillis: Int64)])
    /// The token's family was revoked earlier (reuse, or the user was revoked).
    case familyRevoked(sub: String, family: String)
    /// Unknown, expired or malformed.
    case unknown

    static func == (lhs: RefreshOutcome, rhs: RefreshOutcome) -> Bool {
        switch (lhs, rhs) {
        case let (.rotated(a, b, c, d, e), .rotated(f, g, h, i, j)): a == f && b == g && c == h && d == i && e == j
        case let (.reused(a, b, c), .reused(d, e, f)):
            a == d && b == e && c.map(\.id) == f.map(\.id) && c.map(\.expiresAtMillis) == f.map(\.expiresAtMillis)
        case let (.familyRevoked(a, b), .familyRevoked(c, d)): a == c && b == d
        case (.unknown, .unknown): true
        default: false
        }
    }
}
