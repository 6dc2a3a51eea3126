import CoinDailyAuthCore
import Foundation
import JWTKit
import Testing

@Suite("TokenIssuer and TokenVerifier")
struct TokenVerifierTests {
    @Test("an issued token verifies to its identity")
    func issueAndVerify() async throws {
        let fixture = try await AuthFixture.make()
        let issuedAt = wholeSecondsNow()
        let token = try await fixture.issuer.sign(
            claims("alice", roles: ["user", "admin"], issuedAt: issuedAt, ttl: 3600, id: "token-42"))
        let identity = try await fixture.verifier.verify(token)
        #expect(
            identity
                == VerifiedIdentity(
                    userId: "alice", roles: ["admin", "user"],
                    expiresAtMillis: Int64(issuedAt.timeIntervalSince1970 + 3600) * 1000, tokenId: "token-42",
                    issuedAtMillis: Int64(issuedAt.timeIntervalSince1970) * 1000))
        #expect(identity.sortedRoles == ["admin", "user"])
    }

    @Test("the token header names EdDSA and the store's newest kid; the payload carries the contract's claims")
    func tokenShape() async throws {
        let fixture = try await AuthFixture.make()
        #expect(fixture.issuer.signingKeyID == fixture.kid)
        #expect(fixture.verifier.keyIDs == [fixture.kid])
        #expect(fixture.verifier.hasKeys)
        let issuedAt = wholeSecondsNow()
        let token = try await fixture.issuer.sign(claims("bob", roles: ["editor"], issuedAt: issuedAt, ttl: 60, id: "j"))
        let header = try TokenVerifier.header(of: token)
        #expect(header.alg == "EdDSA")
        #expect(header.kid == fixture.kid)
        let payload = try payloadObject(token)
        #expect(payload["sub"] as? String == "bob")
        #expect(payload["iss"] as? String == "coindaily-auth")
        #expect(payload["jti"] as? String == "j")
        #expect(payload["roles"] as? [String] == ["editor"])
        #expect((payload["exp"] as? NSNumber)?.int64Value == Int64(issuedAt.timeIntervalSince1970) + 60)
        #expect((payload["iat"] as? NSNumber)?.int64Value == Int64(issuedAt.timeIntervalSince1970))
        let audience = (payload["aud"] as? String).map { [$0] } ?? (payload["aud"] as? [String])
        #expect(audience == ["coindaily-ws"])
    }

    @Test("an expired token is refused")
    func expired() async throws {
        let fixture = try await AuthFixture.make()
        let token = try await fixture.issuer.sign(claims(issuedAt: Date().addingTimeInterval(-7200), ttl: 3600))
        await #expect(throws: AuthFailure.expired) { try await fixture.verifier.verify(token) }
    }

    @Test("a token valid now is refused at a `now` past its expiry")
    func expiredAtGivenNow() async throws {
        let fixture = try await AuthFixture.make()
        let token = try await fixture.issuer.sign(claims(ttl: 60))
        await #expect(throws: AuthFailure.expired) {
            try await fixture.verifier.verify(token, now: Date().addingTimeInterval(120))
        }
    }

    @Test("time claims are judged at the `now` given to verify, not the wall clock")
    func judgedAtGivenNow() async throws {
        let fixture = try await AuthFixture.make()
        let issuedAt = Date(timeIntervalSince1970: 1_577_836_800)  // 2020-01-01, long expired by the wall clock
        let token = try await fixture.issuer.sign(claims(issuedAt: issuedAt, ttl: 3600, id: "old"))
        let identity = try await fixture.verifier.verify(token, now: issuedAt.addingTimeInterval(600))
        #expect(identity.tokenId == "old")
        #expect(identity.expiresAtMillis == 1_577_840_400_000)
    }

    @Test("a wrong issuer is refused")
    func wrongIssuer() async throws {
        let fixture = try await AuthFixture.make()
        var c = claims()
        c.iss = IssuerClaim(value: "someone-else")
        let token = try await fixture.issuer.sign(c)
        await #expect(throws: AuthFailure.wrongIssuer) { try await fixture.verifier.verify(token) }
    }

    @Test("a wrong audience is refused")
    func wrongAudience() async throws {
        let fixture = try await AuthFixture.make()
        var c = claims()
        c.aud = AudienceClaim(value: ["coindaily-api"])
        let token = try await fixture.issuer.sign(c)
        await #expect(throws: AuthFailure.wrongAudience) { try await fixture.verifier.verify(token) }
    }

    @Test("an nbf in the future is refused")
    func notYetValid() async throws {
        let fixture = try await AuthFixture.make()
        var c = claims()
        c.nbf = NotBeforeClaim(value: Date().addingTimeInterval(600))
        let token = try await fixture.issuer.sign(c)
        await #expect(throws: AuthFailure.notYetValid) { try await fixture.verifier.verify(token) }
    }

    @Test("an empty subject is refused")
    func emptySubject() async throws {
        let fixture = try await AuthFixture.make()
        let token = try await fixture.issuer.sign(claims(""))
        await #expect(throws: AuthFailure.missingClaim("sub")) { try await fixture.verifier.verify(token) }
    }

    @Test("a token of another key store, whose kid the verifier does not know, is an unknown key")
    func unknownKid() async throws {
        let fixture = try await AuthFixture.make()
        let other = try await AuthFixture.make()
        #expect(other.kid != fixture.kid)
        let token = try await other.issuer.sign(claims())
        await #expect(throws: AuthFailure.unknownKey(other.kid)) { try await fixture.verifier.verify(token) }
    }

    @Test("a token signed by another key under the verifier's own kid has an invalid signature")
    func sameKidOtherKey() async throws {
        let fixture = try await AuthFixture.make()
        let forger = JWTKeyCollection()
        await forger.add(eddsa: try EdDSA.PrivateKey(curve: .ed25519), kid: JWKIdentifier(string: fixture.kid))
        let token = try await forger.sign(claims(), kid: JWKIdentifier(string: fixture.kid))
        #expect(try TokenVerifier.header(of: token).kid == fixture.kid)
        await #expect(throws: AuthFailure.invalidSignature) { try await fixture.verifier.verify(token) }
    }

    @Test("a token without a kid is an unknown key")
    func missingKid() async throws {
        let fixture = try await AuthFixture.make()
        let real = try await fixture.issuer.sign(claims())
        let p = parts(real)
        let token = b64(#"{"alg":"EdDSA","typ":"JWT"}"#) + "." + p[1] + "." + p[2]
        await #expect(throws: AuthFailure.unknownKey(nil)) { try await fixture.verifier.verify(token) }
    }

    @Test("a tampered payload has an invalid signature")
    func tamperedPayload() async throws {
        let fixture = try await AuthFixture.make()
        let real = try await fixture.issuer.sign(claims("alice", roles: ["user"]))
        var payload = try payloadObject(real)
        payload["roles"] = ["admin"]
        let forged = try JSONSerialization.data(withJSONObject: payload)
        let p = parts(real)
        let token = p[0] + "." + Base64URL.encode(forged) + "." + p[2]
        await #expect(throws: AuthFailure.invalidSignature) { try await fixture.verifier.verify(token) }
    }

    @Test("a tampered signature is invalid")
    func tamperedSignature() async throws {
        let fixture = try await AuthFixture.make()
        let real = try await fixture.issuer.sign(claims())
        let p = parts(real)
        var signature = try #require(Base64URL.decode(Substring(p[2])))
        signature[0] ^= 0x01
        let token = p[0] + "." + p[1] + "." + Base64URL.encode(signature)
        await #expect(throws: AuthFailure.invalidSignature) { try await fixture.verifier.verify(token) }
    }

    @Test("alg none is refused before any key is used")
    func algNone() async throws {
        let fixture = try await AuthFixture.make()
        let real = try await fixture.issuer.sign(claims())
        let token = b64(#"{"alg":"none","kid":"\#(fixture.kid)"}"#) + "." + parts(real)[1] + "."
        await #expect(throws: AuthFailure.unsupportedAlgorithm("none")) { try await fixture.verifier.verify(token) }
        let noAlg = b64(#"{"kid":"\#(fixture.kid)"}"#) + "." + parts(real)[1] + "."
        await #expect(throws: AuthFailure.unsupportedAlgorithm("none")) { try await fixture.verifier.verify(noAlg) }
    }

    @Test("HS256 is refused without a configured secret and accepted with it")
    func hs256() async throws {
        let hmac = JWTKeyCollection()
        await hmac.add(hmac: HMACKey(from: "shared-secret-0123456789abcdef0123456789"), digestAlgorithm: .sha256)
        let issuedAt = wholeSecondsNow()
        let token = try await hmac.sign(claims("carol", roles: ["moderator"], issuedAt: issuedAt, ttl: 600, id: "h1"))
        #expect(try TokenVerifier.header(of: token).alg == "HS256")

        let withoutSecret = try await AuthFixture.make()
        await #expect(throws: AuthFailure.unsupportedAlgorithm("HS256")) { try await withoutSecret.verifier.verify(token) }

        let withSecret = try await AuthFixture.make(hs256Secret: "shared-secret-0123456789abcdef0123456789")
        #expect(
            try await withSecret.verifier.verify(token)
                == VerifiedIdentity(
                    userId: "carol", roles: ["moderator"],
                    expiresAtMillis: Int64(issuedAt.timeIntervalSince1970 + 600) * 1000, tokenId: "h1",
                    issuedAtMillis: Int64(issuedAt.timeIntervalSince1970) * 1000))

        let otherSecret = try await TokenVerifier(hs256Secret: "another-secret-0123456789abcdef012345678")
        await #expect(throws: AuthFailure.invalidSignature) { try await otherSecret.verify(token) }
    }

    @Test("an empty HS256 secret configures nothing")
    func emptySecret() async throws {
        let verifier = try await TokenVerifier(hs256Secret: "")
        #expect(!verifier.hasKeys)
    }

    @Test(
        "garbage is malformed",
        arguments: [
            "", "garbage", "a.b", "a.b.c.d", "!!!.e30.sig", "\(b64("not json")).e30.",
            "\(b64(#"{"alg":"EdDSA"}"#))",
        ])
    func malformed(token: String) async throws {
        let fixture = try await AuthFixture.make()
        await #expect(throws: AuthFailure.malformed) { try await fixture.verifier.verify(token) }
    }

    @Test("a token whose payload is not JSON has an invalid signature (the signature is checked first)")
    func undecodablePayload() async throws {
        let fixture = try await AuthFixture.make()
        let real = try await fixture.issuer.sign(claims())
        let token = parts(real)[0] + "." + b64("{not json") + "." + parts(real)[2]
        await #expect(throws: AuthFailure.invalidSignature) { try await fixture.verifier.verify(token) }
    }

    /// A payload signed with the right key but without the CoinDaily claims.
    struct ForeignPayload: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    @Test("a validly signed token without the CoinDaily claims is malformed")
    func foreignPayload() async throws {
        let fixture = try await AuthFixture.make()
        let keys = JWTKeyCollection()
        let key = try EdDSA.PrivateKey(d: fixture.store.keys[0].d, curve: .ed25519)
        await keys.add(eddsa: key, kid: JWKIdentifier(string: fixture.kid))
        let token = try await keys.sign(
            ForeignPayload(sub: .init(value: "alice"), exp: .init(value: Date().addingTimeInterval(600))),
            kid: JWKIdentifier(string: fixture.kid))
        await #expect(throws: AuthFailure.malformed) { try await fixture.verifier.verify(token) }
    }

    @Test("a verifier with no keys says so")
    func noKeys() async throws {
        let fixture = try await AuthFixture.make()
        let token = try await fixture.issuer.sign(claims())
        let empty = try await TokenVerifier()
        #expect(!empty.hasKeys)
        await #expect(throws: AuthFailure.noKeys) { try await empty.verify(token) }
        let hmacOnly = try await TokenVerifier(hs256Secret: String(repeating: "s", count: 32))
        await #expect(throws: AuthFailure.unknownKey(fixture.kid)) { try await hmacOnly.verify(token) }
    }

    @Test("replaceKeys swaps the trusted keys and skips keys it cannot use")
    func replaceKeys() async throws {
        let first = try await AuthFixture.make()
        let second = try await AuthFixture.make()
        let token = try await first.issuer.sign(claims())
        var jwks = second.store.jwks
        var rsa = jwks.keys[0]
        rsa.kty = "RSA"
        rsa.kid = "rsa-key"
        var broken = jwks.keys[0]
        broken.x = "!!"
        broken.kid = "broken-key"
        jwks.keys += [rsa, broken]
        let kids = await first.verifier.replaceKeys(with: jwks)
        #expect(kids == [second.kid])
        #expect(first.verifier.keyIDs == [second.kid])
        await #expect(throws: AuthFailure.unknownKey(first.kid)) { try await first.verifier.verify(token) }
        #expect(try await first.verifier.verify(try await second.issuer.sign(claims(id: "s"))).tokenId == "s")
    }

    @Test("failure messages are safe and exact")
    func descriptions() {
        #expect(AuthFailure.unknownKey("k").description == "Authentication failed: unknown signing key")
        #expect(AuthFailure.expired.description == "Authentication failed: token expired")
        #expect(
            AuthFailure.unsupportedAlgorithm(String(repeating: "A", count: 40)).description
                == "Authentication failed: algorithm 'AAAAAAAAAAAAAAAA' not accepted")
        #expect(AuthFailure.missingClaim("sub").description == "Authentication failed: missing claim 'sub'")
    }
}

@Test("an HS256 secret shorter than 32 bytes is refused at configuration time")
func shortHS256SecretRefused() async throws {
    await #expect(throws: TokenVerifier.ConfigurationError.secretTooShort(5)) {
        _ = try await TokenVerifier(hs256Secret: "short")
    }
}
