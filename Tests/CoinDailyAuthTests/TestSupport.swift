import CoinDailyAuthCore
import Foundation
import Crypto
import JWTKit
import Testing

/// A fresh directory under the system temp directory, removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("coindaily-auth-tests-\(UUID().uuidString)", isDirectory: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A key store in a temporary directory, an issuer for it and a verifier that trusts its JWKS.
struct AuthFixture {
    let directory: TemporaryDirectory
    let store: SigningKeyStore
    let issuer: TokenIssuer
    let verifier: TokenVerifier

    static func make(hs256Secret: String? = nil) async throws -> AuthFixture {
        let directory = TemporaryDirectory()
        let store = try SigningKeyStore.loadOrCreate(directory: directory.url)
        let issuer = try await TokenIssuer(store: store)
        let verifier = try await TokenVerifier(hs256Secret: hs256Secret)
        await verifier.replaceKeys(with: store.jwks)
        return AuthFixture(directory: directory, store: store, issuer: issuer, verifier: verifier)
    }

    /// The `kid` of the store's signing key.
    var kid: String { store.keys[0].kid }
}

/// Now, truncated to whole seconds (JWT times are seconds, so expectations stay exact).
func wholeSecondsNow() -> Date {
    Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
}

/// Claims for `sub` issued at `issuedAt` (default: now) for `ttl` seconds.
func claims(
    _ sub: String = "alice", roles: [String] = ["user"], issuedAt: Date = wholeSecondsNow(), ttl: TimeInterval = 3600,
    id: String = "jti-1"
) -> TokenClaims {
    TokenClaims(subject: sub, roles: roles, issuedAt: issuedAt, ttl: ttl, id: id)
}

/// base64url of a JSON text.
func b64(_ json: String) -> String { Base64URL.encode(Data(json.utf8)) }

/// The three parts of a compact JWS.
func parts(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

/// The decoded payload of a compact JWS as a JSON object.
func payloadObject(_ token: String) throws -> [String: Any] {
    let data = try #require(Base64URL.decode(Substring(parts(token)[1])))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// SHA-256 of a text, lowercase hex (how refresh tokens are stored).
func sha256Hex(_ text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
}
