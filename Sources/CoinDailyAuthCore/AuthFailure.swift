/// Why a token was refused. The message is safe to show to the client; it never contains the token.
public enum AuthFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not three base64url parts with a JSON header and payload.
    case malformed
    /// The header's `alg` is not accepted (`none`, or HS256 when no secret is configured, …).
    case unsupportedAlgorithm(String)
    /// The header names no `kid`, or one the gateway does not know.
    case unknownKey(String?)
    /// The signature does not verify.
    case invalidSignature
    /// `exp` has passed.
    case expired
    /// `nbf` is in the future.
    case notYetValid
    /// `iss` is not `coindaily-auth`.
    case wrongIssuer
    /// `aud` does not include `coindaily-ws`.
    case wrongAudience
    /// A required claim is missing or empty.
    case missingClaim(String)
    /// The token was revoked.
    case revoked
    /// No verification keys are loaded yet.
    case noKeys

    public var description: String {
        switch self {
        case .malformed: "Authentication failed: malformed token"
        case .unsupportedAlgorithm(let alg): "Authentication failed: algorithm '\(alg.prefix(16))' not accepted"
        case .unknownKey: "Authentication failed: unknown signing key"
        case .invalidSignature: "Authentication failed: invalid signature"
        case .expired: "Authentication failed: token expired"
        case .notYetValid: "Authentication failed: token not yet valid"
        case .wrongIssuer: "Authentication failed: wrong issuer"
        case .wrongAudience: "Authentication failed: wrong audience"
        case .missingClaim(let c): "Authentication failed: missing claim '\(c)'"
        case .revoked: "Authentication failed: token revoked"
        case .noKeys: "Authentication failed: verification keys not loaded yet, retry"
        }
    }
}
