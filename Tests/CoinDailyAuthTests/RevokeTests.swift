import CoinDailyAuthCore
import CoinDailyProtocol
import Foundation
import Testing

@Suite("POST /v1/revoke", .serialized)
struct RevokeTests {
    @Test("revoking a jti stores it with its exp (or now + max TTL), announces it, and prunes expired entries")
    func byTokenID() async throws {
        try await AuthServiceHarness.with { harness in
            try await harness.withApp(harness.configuration(maxTTL: 7200)) { _, client in
                // An entry that expired long ago, and a user entry older than the max TTL: pruned by the next revoke.
                _ = try await harness.redis.sendChecked(["HSET", RedisKeys.revokedTokenIDs, "old-jti", "1000"])
                _ = try await harness.redis.sendChecked(["HSET", RedisKeys.revokedSubjects, "old-user", "1000"])

                let response = try await client.post("/v1/revoke", #"{"jti":"jti-42","exp":4102444800000}"#)
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.json?["revoked"]?["jti"]?.stringValue == "jti-42")
                #expect(response.json?["revoked"]?["exp"]?.numberValue == 4_102_444_800_000)

                let before = Int64(Date().timeIntervalSince1970 * 1000)
                let noExp = try await client.post("/v1/revoke", #"{"jti":"jti-43"}"#)
                #expect(noExp.status == .ok, "\(noExp.text)")
                let defaulted = Int64(try #require(noExp.json?["revoked"]?["exp"]?.numberValue))
                #expect(defaulted >= before + 7_200_000 && defaulted <= before + 7_200_000 + 5_000)

                let hash = try await harness.hash(RedisKeys.revokedTokenIDs)
                #expect(hash == ["jti-42": "4102444800000", "jti-43": String(defaulted)])
                #expect(try await harness.hash(RedisKeys.revokedSubjects).isEmpty)
                try await harness.eventually(5, "two announcements") {
                    harness.messages.payloads(on: RedisKeys.revocationsChannel).count == 2
                }
                #expect(
                    harness.messages.payloads(on: RedisKeys.revocationsChannel).compactMap(Revocation.init(json:)) == [
                        .token(id: "jti-42", expiresAtMillis: 4_102_444_800_000),
                        .token(id: "jti-43", expiresAtMillis: defaulted),
                    ])
            }
        }
    }

    @Test("revoking a user stores the instant, announces it and ends the user's refresh-token families")
    func bySubject() async throws {
        try await AuthServiceHarness.with { harness in
            try await harness.withApp { _, client in
                let phone = try await client.mint("bob")
                let laptop = try await client.mint("bob")
                let other = try await client.mint("carol")
                let before = Int64(Date().timeIntervalSince1970 * 1000)

                let response = try await client.post("/v1/revoke", #"{"sub":"bob"}"#)
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.json?["revoked"]?["sub"]?.stringValue == "bob")
                #expect(response.json?["revoked"]?["families"]?.numberValue == 2)
                let instant = Int64(try #require(response.json?["revoked"]?["before"]?.numberValue))
                #expect(instant >= before)
                #expect(try await harness.hash(RedisKeys.revokedSubjects) == ["bob": String(instant)])

                for refresh in [phone.refresh, laptop.refresh] {
                    let refused = try await client.refresh(refresh)
                    #expect(refused.status == .unauthorized)
                    #expect(refused.json?["error"]?["code"]?.stringValue == "INVALID_REFRESH_TOKEN")
                }
                #expect(try await client.refresh(other.refresh).status == .ok)

                try await harness.eventually(5, "the announcement") {
                    !harness.messages.payloads(on: RedisKeys.revocationsChannel).isEmpty
                }
                let announced = harness.messages.payloads(on: RedisKeys.revocationsChannel).compactMap(Revocation.init(json:))
                #expect(announced == [.subject("bob", beforeMillis: instant)])
                // Bob's earlier token is covered by the announcement; a gateway would refuse it.
                let claims = try payloadObject(phone.token)
                let iat = Int64(try #require(claims["iat"] as? Double) * 1000)
                #expect(
                    announced[0].applies(
                        to: VerifiedIdentity(
                            userId: "bob", roles: [], expiresAtMillis: 0, tokenId: try tokenID(phone.token), issuedAtMillis: iat)))
            }
        }
    }

    @Test("a bad body is 400 with a message; a missing or wrong key is 401", arguments: [
        ("not json", 400), (#"{}"#, 400), (#"{"jti":""}"#, 400), (#"{"jti":"a","sub":"b"}"#, 400),
        (#"{"jti":"a","exp":"soon"}"#, 400), (#"{"sub":42}"#, 400),
    ])
    func badBodies(body: String, status: Int) async throws {
        try await AuthServiceHarness.with { harness in
            try await harness.withApp { _, client in
                let response = try await client.post("/v1/revoke", body)
                #expect(response.status.code == status, "\(response.text)")
                #expect(response.json?["error"]?["code"]?.stringValue == "INVALID_REQUEST")
                let message = response.json?["error"]?["message"]?.stringValue ?? ""
                #expect(message.count > 10, "\(response.text)")
                for key in [nil, "wrong", ""] as [String?] {
                    let refused = try await client.post("/v1/revoke", #"{"jti":"x"}"#, key: key)
                    #expect(refused.status == .unauthorized)
                }
                #expect(try await harness.hash(RedisKeys.revokedTokenIDs).isEmpty)
            }
        }
    }
}
