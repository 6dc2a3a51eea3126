import Foundation
import JWTKit

/// Signs tokens with the newest key of a ``SigningKeyStore``.
public final class TokenIssuer: Sendable {
    private let keys: JWTKeyCollection
    private let activeKid: String

    /// Creates an issuer from the store's keys.
    public init(store: SigningKeyStore) async throws {
        let collection = JWTKeyCollection()
        for key in store.keys {
            let privateKey = try EdDSA.PrivateKey(d: key.d, curve: .ed25519)
            await collection.add(eddsa: privateKey, kid: JWKIdentifier(string: key.kid))
        }
        guard let active = store.keys.first else { throw SigningKeyStore.StoreError.unreadable("no keys") }
        self.keys = collection
        self.activeKid = active.kid
    }

    /// The `kid` new tokens carry.
    public var signingKeyID: String { activeKid }

    /// Signs `claims` with the active key (`alg: EdDSA`, `kid` in the header).
    public func sign(_ claims: TokenClaims) async throws -> String {
        try await keys.sign(claims, kid: JWKIdentifier(string: activeKid))
    }
}
