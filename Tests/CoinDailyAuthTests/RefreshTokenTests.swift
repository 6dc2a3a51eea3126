import CoinDailyAuthCore
import CoinDailyProtocol
import Foundation
import Testing

@Suite("Refresh tokens: rotation, families, reuse detection", .serialized)
struct RefreshTokenTests {
    @Test("a refresh returns a new token and refresh token of the same family; the old one stays marked used")
    func rotation() async throws {
        try await AuthServiceHarness.with { harness in
            try await harness.withApp { _, client in
                let first = try await client.mint("alice", roles: ["user", "editor"], ttl: 600)
                let response = try await client.refresh(first.refresh)
                #expect(response.status == .ok, "\(response.text)")
                let token = try #require(response.json?["token"]?.stringValue)
                let nextRefresh = try #require(response.json?["refreshToken"]?.stringValue)
                #expect(nextRefresh != first.refresh)
                let claims = try payloadObject(token), firstClaims = try payloadObject(first.token)
                #expect(claims["sub"] as? String == "alice")
                #expect(claims["roles"] as? [String] == ["user", "editor"])
                #expect(claims["jti"] as? String != firstClaims["jti"] as? String)
                let family = try #require(firstClaims["fam"] as? String)
                #expect(claims["fam"] as? String == family)
                #expect(nextRefresh.hasPrefix(family + "."))
                let exp = try #require(claims["exp"] as? Double), iat = try #require(claims["iat"] as? Double)
                #expect(exp - iat == 600)
                #expect(response.json?["expiresAt"]?.numberValue == exp * 1000)

                // The used marker is kept (with the record's own expiry), not deleted.
                let usedKey = RedisKeys.refreshToken(sha256Hex(first.refresh))
                let used = try await harness.redis.sendChecked(["HGET", usedKey, "used"]).string
                #expect(used != nil && used != "0")
                let ttl = try await harness.redis.sendChecked(["TTL", usedKey]).int ?? -2
                #expect(ttl > 0)
                // Both access tokens are recorded in the family.
                let jtis = try await harness.hash(RedisKeys.refreshFamilyTokens(family))
                #expect(Set(jtis.keys) == [try tokenID(first.token), try tokenID(token)])
                #expect(jtis[try tokenID(token)] == String(Int64(exp * 1000)))

                // The new refresh token works in turn.
                let again = try await client.refresh(nextRefresh)
                #expect(again.status == .ok, "\(again.text)")
            }
        }
    }

    @Test("presenting a used refresh token revokes the family and every access token of it, announced by jti")
    func reuse() async throws {
        try await AuthServiceHarness.with { harness in
            try await harness.withApp { _, client in
                let first = try await client.mint("mallory-victim", ttl: 900)
                let second = try await client.refresh(first.refresh)
                #expect(second.status == .ok)
                let secondToken = try #require(second.json?["token"]?.stringValue)
                let secondRefresh = try #require(second.json?["refreshToken"]?.stringValue)

                let reused = try await client.refresh(first.refresh)
                #expect(reused.status == .unauthorized)
                #expect(reused.json?["error"]?["code"]?.stringValue == "REFRESH_TOKEN_REUSED", "\(reused.text)")

                // The whole family is dead, including the refresh token issued last.
                let afterReuse = try await client.refresh(secondRefresh)
                #expect(afterReuse.status == .unauthorized)
                #expect(afterReuse.json?["error"]?["code"]?.stringValue == "INVALID_REFRESH_TOKEN")

                // Both access tokens are in the revocation hash with their exp, and announced.
                let expected: [Revocation] = try [first.token, secondToken].map { token in
                    let claims = try payloadObject(token)
                    let exp = try #require(claims["exp"] as? Double)
                    return .token(id: try tokenID(token), expiresAtMillis: Int64(exp * 1000))
                }
                let revoked = try await harness.hash(RedisKeys.revokedTokenIDs)
                for case .token(let id, let exp) in expected { #expect(revoked[id] == String(exp)) }
                try await harness.eventually(5, "two revocation announcements") {
                    harness.messages.payloads(on: RedisKeys.revocationsChannel).count >= 2
                }
                let announced = harness.messages.payloads(on: RedisKeys.revocationsChannel).compactMap(Revocation.init(json:))
                #expect(Set(announced.map(\.json)) == Set(expected.map(\.json)))

                // And a gateway's revocation list, filled from the hash, refuses them.
                let list = RevocationList()
                let flat = revoked.flatMap { [$0.key, $0.value] }
                list.replace(tokenHash: flat, subjectHash: [], nowMillis: Int64(Date().timeIntervalSince1970 * 1000))
                let identity = VerifiedIdentity(
                    userId: "mallory-victim", roles: ["user"], expiresAtMillis: 0, tokenId: try tokenID(secondToken))
                #expect(list.isRevoked(identity))
            }
        }
    }

    @Test("two concurrent refreshes of the same token: exactly one succeeds, the other is reuse")
    func concurrentRefresh() async throws {
        try await AuthServiceHarness.with { harness in
            try await harness.withApp { _, client in
                let port = try #require(client.port)
                for round in 0..<5 {
                    let minted = try await client.mint("racer-\(round)")
                    let body = #"{"refreshToken":"\#(minted.refresh)"}"#
                    let arguments = [
                        "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H",
                        "Content-Type: application/json", "--data", body, "http://127.0.0.1:\(port)/v1/refresh",
                    ]
                    async let a = ProcessRunner.run(arguments)
                    async let b = ProcessRunner.run(arguments)
                    let codes = try await [a.output, b.output].sorted()
                    #expect(codes == ["200", "401"], "round \(round): \(codes)")
                }
            }
        }
    }

    @Test("malformed, unknown and empty refresh tokens are refused")
    func refusals() async throws {
        try await AuthServiceHarness.with { harness in
            try await harness.withApp { _, client in
                let unknown = try await client.refresh("AAAAAAAAAAAAAAAAAAAAAA." + String(repeating: "B", count: 43))
                #expect(unknown.status == .unauthorized)
                #expect(unknown.json?["error"]?["code"]?.stringValue == "INVALID_REFRESH_TOKEN")
                let malformed = try await client.refresh("not-a-refresh-token")
                #expect(malformed.status == .unauthorized)
                let empty = try await client.post("/v1/refresh", "{}", key: nil)
                #expect(empty.status == .badRequest)
            }
        }
    }
}
