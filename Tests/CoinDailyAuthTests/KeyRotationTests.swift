import CoinDailyAuthCore
import CoinDailyProtocol
import Foundation
import Testing

@Suite("Signing key rotation and retirement", .serialized)
struct KeyRotationTests {
    /// A verifier loaded the way gateways load theirs: HGETALL cd:auth:jwks.
    func gatewayVerifier(_ harness: AuthServiceHarness) async throws -> TokenVerifier {
        let verifier = try await TokenVerifier()
        let fields = (try await harness.redis.sendChecked(["HGETALL", RedisKeys.jwks]).array ?? []).compactMap(\.string)
        await verifier.replaceKeys(with: JWKSet.merging(JWKSet(keys: []), hashReply: fields))
        return verifier
    }

    @Test("after a rotation old tokens still verify from Redis, new ones carry the new kid; the old key retires")
    func rotateAndRetire() async throws {
        try await AuthServiceHarness.with { harness in
            try await harness.withApp(harness.configuration(keyRetireAfter: 2)) { service, client in
                let old = try await client.mint("dave", ttl: 60)
                let oldKid = try keyID(old.token)
                try await harness.eventually(5, "the first publication") {
                    try await harness.hash(RedisKeys.jwks).keys.contains(oldKid)
                }

                let refused = try await client.post("/v1/keys/rotate", "", key: "wrong")
                #expect(refused.status == .unauthorized)
                let rotated = try await client.post("/v1/keys/rotate", "")
                #expect(rotated.status == .ok, "\(rotated.text)")
                let newKid = try #require(rotated.json?["kid"]?.stringValue)
                #expect(rotated.json?["previous"]?.stringValue == oldKid)
                #expect(newKid != oldKid)
                #expect(await service.signingKeyID == newKid)

                // Published and announced before the answer.
                #expect(Set(try await harness.hash(RedisKeys.jwks).keys) == [oldKid, newKid])
                try await harness.eventually(5, "an announcement naming the new kid") {
                    harness.messages.payloads(on: RedisKeys.keysChannel).contains { $0.contains(newKid) }
                }
                let fresh = try await client.mint("dave", ttl: 60)
                #expect(try keyID(fresh.token) == newKid)
                let verifier = try await gatewayVerifier(harness)
                #expect(try await verifier.verify(old.token).userId == "dave")
                #expect(try await verifier.verify(fresh.token).userId == "dave")
                let jwks = try await client.get("/.well-known/jwks.json")
                let served = Set((jwks.json?["keys"]?.arrayValue ?? []).compactMap { $0["kid"]?.stringValue })
                #expect(served == [oldKid, newKid])

                // 2 s after it stopped signing the old key is retired: gone from Redis, the store and the JWKS.
                let announcementsBefore = harness.messages.payloads(on: RedisKeys.keysChannel).count
                try await harness.eventually(8, "the old kid removed from cd:auth:jwks") {
                    !(try await harness.hash(RedisKeys.jwks).keys.contains(oldKid))
                }
                #expect(Set(try await harness.hash(RedisKeys.jwks).keys) == [newKid])
                try await harness.eventually(5, "an announcement after the retirement") {
                    harness.messages.payloads(on: RedisKeys.keysChannel).count > announcementsBefore
                }
                let afterRetirement = try await gatewayVerifier(harness)
                await #expect(throws: AuthFailure.unknownKey(oldKid)) { try await afterRetirement.verify(old.token) }
                #expect(try await afterRetirement.verify(fresh.token).userId == "dave")
                let store = try SigningKeyStore.loadOrCreate(directory: harness.keyDirectory.url)
                #expect(store.keys.map(\.kid) == [newKid])
                let jwksAfter = try await client.get("/.well-known/jwks.json")
                #expect((jwksAfter.json?["keys"]?.arrayValue ?? []).compactMap { $0["kid"]?.stringValue } == [newKid])
            }
        }
    }

    @Test("an instance never removes kids it did not retire itself")
    func otherInstancesKeys() async throws {
        try await AuthServiceHarness.with { harness in
            let foreign = JWKSet.Key(kid: "ed25519-other-instance", publicKey: Data(repeating: 7, count: 32))
            _ = try await harness.redis.sendChecked(["HSET", RedisKeys.jwks, foreign.kid, JWKSet(keys: [foreign]).json()])
            try await harness.withApp(harness.configuration(keyRetireAfter: 1)) { _, client in
                let old = try await client.mint("erin")
                let oldKid = try keyID(old.token)
                #expect(try await client.post("/v1/keys/rotate", "").status == .ok)
                try await harness.eventually(8, "the old kid retired") {
                    !(try await harness.hash(RedisKeys.jwks).keys.contains(oldKid))
                }
                #expect(try await harness.hash(RedisKeys.jwks).keys.contains(foreign.kid))
            }
        }
    }
}
