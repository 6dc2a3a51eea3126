import Foundation
import JWTKit

/// The claims of a CoinDaily WebSocket token (see `../shared/contract.md`).
public struct TokenClaims: JWTPayload, Equatable {
    /// The issuer every token carries.
    public static let issuer = "coindaily-auth"
    /// The audience every token carries.
    public static let audience = "coindaily-ws"

    /// `sub`: the user id.
    public var sub: SubjectClaim
    /// `roles`: role names.
    public var roles: [String]
    /// `iss`.
    public var iss: IssuerClaim
    /// `aud`.
    public var aud: AudienceClaim
    /// `exp`.
    public var exp: ExpirationClaim
    /// `iat`.
    public var iat: IssuedAtClaim
    /// `nbf`, when present.
    public var nbf: NotBeforeClaim?
    /// `jti`: the token id (revocation works by it).
    public var jti: IDClaim
    /// `fam`: the refresh-token family the token was issued in (absent in tokens from older versions).
    /// Informational: revocation of a family works through the `jti`s the auth service recorded.
    public var fam: String?

    /// Creates claims for `subject` valid from `issuedAt` for `ttl` seconds, optionally naming the
    /// refresh-token `family` it belongs to.
    public init(subject: String, roles: [String], issuedAt: Date, ttl: TimeInterval, id: String, family: String? = nil) {
        self.sub = .init(value: subject)
        self.roles = roles
        self.iss = .init(value: Self.issuer)
        self.aud = .init(value: [Self.audience])
        self.iat = .init(value: issuedAt)
        self.exp = .init(value: issuedAt.addingTimeInterval(ttl))
        self.nbf = nil
        self.jti = .init(value: id)
        self.fam = family
    }

    /// Called by jwt-kit after the signature verified. Deliberately empty: ``TokenVerifier`` checks the
    /// claims itself with ``verifyClaims(now:)`` at the time it is given, so tests and callers can pass
    /// their own clock. Never trust these claims without going through ``TokenVerifier``.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// Checks the time and audience claims against `now`.
    public func verifyClaims(now: Date) throws(AuthFailure) {
        guard now < exp.value else { throw .expired }
        if let nbf, now < nbf.value { throw .notYetValid }
        guard iss.value == Self.issuer else { throw .wrongIssuer }
        guard aud.value.contains(Self.audience) else { throw .wrongAudience }
        guard !sub.value.isEmpty else { throw .missingClaim("sub") }
    }
}
