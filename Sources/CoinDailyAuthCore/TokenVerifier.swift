import Foundation
import JWTKit
import Synchronization

/// Verifies CoinDaily tokens locally: EdDSA keys from the auth service's JWKS (by `kid`), and
/// optionally HS256 tokens signed with a shared secret.
///
/// jwt-kit binds each key to its algorithm, but falls back to its default key for an unknown `kid`,
/// so the header's `alg` and `kid` are checked here first: an unknown `kid`, `alg: none`, or an
/// HS256 token when no secret is configured never reach a key.
///
/// Thread-safe. Keys can be replaced at any time (``replaceKeys(with:)``); verifications in flight
/// finish with the keys they started with.
public final class TokenVerifier: Sendable {
    private struct KeyRing: Sendable {
        var eddsa: JWTKeyCollection
        var kids: Set<String>
    }

    private let ring: Mutex<KeyRing>
    private let hmac: JWTKeyCollection?

    /// Why a verifier could not be configured.
    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        /// The HS256 secret is shorter than ``TokenVerifier/minimumSecretBytes``.
        case secretTooShort(Int)
        public var description: String {
            switch self {
            case .secretTooShort(let n):
                "JWT_SECRET must be at least \(TokenVerifier.minimumSecretBytes) bytes (RFC 7518 §3.2), got \(n)"
            }
        }
    }

    /// The shortest HS256 secret accepted: 32 bytes, as RFC 7518 requires for HS256.
    public static let minimumSecretBytes = 32

    /// Creates a verifier with no EdDSA keys yet.
    ///
    /// - Parameter hs256Secret: when set, HS256 tokens signed with it are accepted too; it must be at
    ///   least ``minimumSecretBytes`` long.
    public init(hs256Secret: String? = nil) async throws(ConfigurationError) {
        if let hs256Secret, !hs256Secret.isEmpty, hs256Secret.utf8.count < Self.minimumSecretBytes {
            throw .secretTooShort(hs256Secret.utf8.count)
        }
        self.ring = Mutex(KeyRing(eddsa: JWTKeyCollection(), kids: []))
        if let hs256Secret, !hs256Secret.isEmpty {
            let collection = JWTKeyCollection()
            await collection.add(hmac: HMACKey(from: hs256Secret), digestAlgorithm: .sha256)
            self.hmac = collection
        } else {
            self.hmac = nil
        }
    }

    /// The key ids currently accepted.
    public var keyIDs: Set<String> { ring.withLock { $0.kids } }

    /// Whether any key (EdDSA or HS256) can verify tokens.
    public var hasKeys: Bool { !keyIDs.isEmpty || hmac != nil }

    /// Replaces the EdDSA keys with those of `jwks`; keys that fail to parse are skipped.
    ///
    /// - Returns: the key ids now accepted.
    @discardableResult
    public func replaceKeys(with jwks: JWKSet) async -> Set<String> {
        let collection = JWTKeyCollection()
        var kids: Set<String> = []
        for key in jwks.keys where key.kty == "OKP" && key.crv == "Ed25519" {
            guard let publicKey = try? EdDSA.PublicKey(x: key.x, curve: .ed25519) else { continue }
            await collection.add(eddsa: publicKey, kid: JWKIdentifier(string: key.kid))
            kids.insert(key.kid)
        }
        let final = kids
        ring.withLock { $0 = KeyRing(eddsa: collection, kids: final) }
        return final
    }

    /// Verifies `token` and returns who it belongs to.
    public func verify(_ token: String, now: Date = Date()) async throws(AuthFailure) -> VerifiedIdentity {
        let header = try Self.header(of: token)
        let claims: TokenClaims
        switch header.alg {
        case "EdDSA":
            let ring = self.ring.withLock { $0 }
            guard let kid = header.kid, ring.kids.contains(kid) else {
                throw ring.kids.isEmpty && hmac == nil ? .noKeys : .unknownKey(header.kid)
            }
            claims = try await Self.verify(token, with: ring.eddsa)
        case "HS256" where hmac != nil:
            claims = try await Self.verify(token, with: hmac!)
        default:
            throw .unsupportedAlgorithm(header.alg ?? "none")
        }
        try claims.verifyClaims(now: now)
        return VerifiedIdentity(
            userId: claims.sub.value, roles: Set(claims.roles),
            expiresAtMillis: Int64(exactly: min((claims.exp.value.timeIntervalSince1970 * 1000).rounded(), 9e15)) ?? 0,
            tokenId: claims.jti.value,
            issuedAtMillis: Int64(exactly: min((claims.iat.value.timeIntervalSince1970 * 1000).rounded(), 9e15)) ?? 0)
    }

    private static func verify(_ token: String, with keys: JWTKeyCollection) async throws(AuthFailure) -> TokenClaims {
        do {
            return try await keys.verify(token, as: TokenClaims.self)
        } catch let failure as AuthFailure {
            throw failure
        } catch let error as JWTError {
            switch error.errorType {
            case .signatureVerificationFailed: throw .invalidSignature
            case .claimVerificationFailure: throw .expired
            default: throw .malformed
            }
        } catch {
            throw .malformed
        }
    }

    /// The protected header fields this verifier looks at.
    public struct Header: Decodable, Sendable {
        /// `alg`.
        public var alg: String?
        /// `kid`.
        public var kid: String?
    }

    /// Decodes the header of a compact JWS without verifying anything.
    public static func header(of token: String) throws(AuthFailure) -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Base64URL.decode(parts[0]),
            let header = try? JSONDecoder().decode(Header.self, from: data)
        else { throw .malformed }
        return header
    }
}
