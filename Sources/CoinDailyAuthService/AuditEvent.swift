/// The security events the auth service writes one audit line for (the `audit` metadata value) and counts
/// (`coindaily_auth_audit_events_total{event="…"}`).
public enum AuditEvent: String, Sendable, CaseIterable {
    /// `POST /v1/tokens` issued an access token and started a refresh-token family.
    case tokenIssued = "token.issued"
    /// `POST /v1/refresh` rotated a refresh token.
    case tokenRefreshed = "token.refreshed"
    /// A refresh token was presented a second time; its family and the family's access tokens were revoked.
    case refreshReuseDetected = "refresh.reuse_detected"
    /// A refresh token of a revoked family was presented.
    case refreshRevokedFamily = "refresh.revoked_family"
    /// `POST /v1/revoke` revoked one token by `jti`.
    case tokenRevoked = "token.revoked"
    /// `POST /v1/revoke` revoked every token of a user.
    case subjectRevoked = "subject.revoked"
    /// A new signing key was created (by `POST /v1/keys/rotate` or the rotation interval).
    case keyRotated = "key.rotated"
    /// A key that no longer signs was retired: removed from the key store and from `cd:auth:jwks`.
    case keyRetired = "key.retired"
    /// An admin endpoint was called without the right API key.
    case adminKeyRejected = "admin_key.rejected"
}
