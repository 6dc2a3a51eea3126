import CoinDailyAuthCore
import Testing

@Suite("Revocations as gateways keep them")
struct RevocationListTests {
    private func identity(_ sub: String, jti: String, issuedAtMillis: Int64) -> VerifiedIdentity {
        VerifiedIdentity(userId: sub, roles: ["user"], expiresAtMillis: issuedAtMillis + 3_600_000, tokenId: jti, issuedAtMillis: issuedAtMillis)
    }

    @Test("announcements round-trip; junk is not one")
    func json() {
        for revocation in [Revocation.token(id: "j-1", expiresAtMillis: 1_700_000_360_000), .subject("alice", beforeMillis: 1_700_000_000_500)] {
            #expect(Revocation(json: revocation.json) == revocation)
        }
        #expect(Revocation(json: "{}") == nil)
        #expect(Revocation(json: #"{"jti":""}"#) == nil)
        #expect(Revocation(json: #"{"sub":"alice"}"#) == nil)
        #expect(Revocation(json: "not json") == nil)
        // Out-of-range numbers (anyone who can publish on the channel could send them) never trap.
        #expect(Revocation(json: #"{"sub":"u","before":1e300}"#) == nil)
        #expect(Revocation(json: #"{"jti":"x","exp":1e19}"#) == .token(id: "x", expiresAtMillis: Int64.max))
        #expect(Revocation(json: #"{"jti":"x","exp":-1e300}"#) == .token(id: "x", expiresAtMillis: Int64.max))
        #expect(Revocation(json: #"{"sub":"u","before":1700000000500.7}"#) == .subject("u", beforeMillis: 1_700_000_000_500))
    }

    @Test("a user revocation covers tokens issued up to its second, not later ones nor other users")
    func subject() {
        let revocation = Revocation.subject("alice", beforeMillis: 1_700_000_000_500)
        #expect(revocation.applies(to: identity("alice", jti: "a", issuedAtMillis: 1_699_999_999_000)))
        #expect(revocation.applies(to: identity("alice", jti: "b", issuedAtMillis: 1_700_000_000_000)))  // same second
        #expect(!revocation.applies(to: identity("alice", jti: "c", issuedAtMillis: 1_700_000_001_000)))
        #expect(!revocation.applies(to: identity("bob", jti: "d", issuedAtMillis: 1_699_999_999_000)))
    }

    @Test("a reload from the Redis hashes keeps what announcements added and drops expired token entries")
    func reload() {
        let list = RevocationList()
        list.add(.token(id: "announced", expiresAtMillis: 2_000))
        list.replace(tokenHash: ["stored", "3000", "expired", "500"], subjectHash: ["bob", "1000"], nowMillis: 1_000)
        #expect(list.isRevoked(identity("x", jti: "announced", issuedAtMillis: 0)))
        #expect(list.isRevoked(identity("x", jti: "stored", issuedAtMillis: 0)))
        #expect(!list.isRevoked(identity("x", jti: "expired", issuedAtMillis: 0)))
        #expect(list.isRevoked(identity("bob", jti: "any", issuedAtMillis: 900)))
        #expect(!list.isRevoked(identity("bob", jti: "any", issuedAtMillis: 2_000)))
        #expect(!list.isRevoked(identity("carol", jti: "other", issuedAtMillis: 0)))
    }

    @Test("reloads forget what can no longer matter: expired token entries, user entries past the retention that Redis no longer holds")
    func bounded() {
        let hour: Int64 = 3_600_000
        let list = RevocationList(subjectRetentionMillis: 24 * hour)
        let now: Int64 = 100 * hour
        list.add(.subject("old", beforeMillis: now - 25 * hour))  // announced, then pruned from Redis by the auth service
        list.add(.subject("recent", beforeMillis: now - 23 * hour))  // announced, lost from Redis (restarted empty)
        list.add(.token(id: "gone", expiresAtMillis: now - 1))
        list.add(.token(id: "live", expiresAtMillis: now + hour))
        #expect(list.counts == (2, 2))
        // Redis still holds an older user revocation (the auth service keeps it while a token it issued could be
        // valid, e.g. a longer AUTH_MAX_TTL than this gateway's retention): it stays.
        list.replace(tokenHash: [], subjectHash: ["kept", String(now - 30 * hour)], nowMillis: now)
        #expect(list.counts == (1, 2))
        #expect(list.isRevoked(identity("recent", jti: "r", issuedAtMillis: now - 24 * hour)))
        #expect(list.isRevoked(identity("x", jti: "live", issuedAtMillis: now - hour)))
        #expect(!list.isRevoked(identity("old", jti: "o", issuedAtMillis: now - 26 * hour)))
        #expect(list.isRevoked(identity("kept", jti: "k", issuedAtMillis: now - 31 * hour)))
        // A day later the one only this gateway held goes too, and the hash's goes once the auth service pruned it:
        // memory does not grow with the number of revocations ever made.
        list.replace(tokenHash: [], subjectHash: ["kept", String(now - 30 * hour)], nowMillis: now + 2 * hour)
        #expect(list.counts == (0, 1))
        list.replace(tokenHash: [], subjectHash: [], nowMillis: now + 2 * hour)
        #expect(list.counts == (0, 0))
    }

    @Test("a reload reports the entries it learnt (announcements missed), not the ones already known")
    func learnt() {
        let list = RevocationList()
        list.add(.token(id: "announced", expiresAtMillis: 5_000))
        list.add(.subject("alice", beforeMillis: 900))
        #expect(list.replace(tokenHash: ["announced", "5000"], subjectHash: ["alice", "900"], nowMillis: 1_000) == 0)
        #expect(list.replace(tokenHash: ["announced", "5000", "missed", "6000"], subjectHash: ["alice", "950", "bob", "990"], nowMillis: 1_000) == 3)
        #expect(list.isRevoked(identity("alice", jti: "x", issuedAtMillis: 950)))
        #expect(list.replace(tokenHash: ["missed", "6000"], subjectHash: [], nowMillis: 1_000) == 0)
    }
}
