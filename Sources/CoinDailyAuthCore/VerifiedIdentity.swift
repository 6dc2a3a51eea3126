/// Who a connection is, taken only from a verified token.
public struct VerifiedIdentity: Sendable, Equatable {
    /// `sub`.
    public var userId: String
    /// `roles`.
    public var roles: Set<String>
    /// `exp` in Unix milliseconds.
    public var expiresAtMillis: Int64
    /// `jti`.
    public var tokenId: String
    /// `iat` in Unix milliseconds (0 when the token had none); revoking a user revokes tokens issued up to then.
    public var issuedAtMillis: Int64

    /// Creates an identity.
    public init(userId: String, roles: Set<String>, expiresAtMillis: Int64, tokenId: String, issuedAtMillis: Int64 = 0) {
        self.userId = userId
        self.roles = roles
        self.expiresAtMillis = expiresAtMillis
        self.tokenId = tokenId
        self.issuedAtMillis = issuedAtMillis
    }

    /// The roles in a stable order, for replies.
    public var sortedRoles: [String] { roles.sorted() }
}
