import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis

/// Writes revocations where gateways read them: `HSET cd:auth:revoked:jti <jti> <exp ms>` or
/// `HSET cd:auth:revoked:sub <sub> <before ms>`, then `PUBLISH cd:auth:revocations <Revocation JSON>`; and
/// prunes entries no longer needed (token entries whose `exp` passed, user entries older than the longest
/// token lifetime) with every write.
struct RevocationWriter: Sendable {
    let redis: RedisClient
    /// Longest token lifetime, seconds: a user entry older than this revokes nothing any more.
    let maxTTL: Int

    /// Errors talking to Redis.
    enum Failure: Error { case unavailable(String) }

    /// Stores and announces `revocations` in one round trip, then prunes.
    func revoke(_ revocations: [Revocation], nowMillis: Int64) async throws(Failure) {
        var commands: [[String]] = []
        for revocation in revocations {
            switch revocation {
            case .token(let id, let exp): commands.append(["HSET", RedisKeys.revokedTokenIDs, id, String(exp)])
            case .subject(let sub, let before): commands.append(["HSET", RedisKeys.revokedSubjects, sub, String(before)])
            }
        }
        try await send(commands + announcements(revocations) + [pruneCommand(nowMillis: nowMillis)])
    }

    /// Announces revocations already stored (by the refresh script on reuse).
    func announce(_ revocations: [Revocation]) async throws(Failure) {
        try await send(announcements(revocations))
    }


    private func announcements(_ revocations: [Revocation]) -> [[String]] {
        revocations.map { ["PUBLISH", RedisKeys.revocationsChannel, $0.json] }
    }

    private func pruneCommand(nowMillis: Int64) -> [String] {
        [
            "EVAL", Self.pruneScript, "2", RedisKeys.revokedTokenIDs, RedisKeys.revokedSubjects, String(nowMillis),
            String(nowMillis - Int64(maxTTL) * 1000),
        ]
    }

    private func send(_ commands: [[String]]) async throws(Failure) {
        _ = try await sendReplies(commands)
    }

    private func sendReplies(_ commands: [[String]]) async throws(Failure) -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        let replies: [RESPValue]
        do {
            replies = try await redis.pipeline(commands)
        } catch {
            throw .unavailable("\(error)")
        }
        if let message = replies.compactMap(\.errorMessage).first { throw .unavailable(message) }
        return replies
    }

    /// KEYS: revoked jti hash, revoked sub hash. ARGV: now ms, oldest user entry to keep (ms).
    /// Entries that are not numbers are kept (gateways treat them as never expiring).
    static let pruneScript = """
        local n = 0
        local t = redis.call('HGETALL', KEYS[1])
        for i = 1, #t, 2 do
          local exp = tonumber(t[i + 1])
          if exp and exp <= tonumber(ARGV[1]) then redis.call('HDEL', KEYS[1], t[i]); n = n + 1 end
        end
        local s = redis.call('HGETALL', KEYS[2])
        for i = 1, #s, 2 do
          local before = tonumber(s[i + 1])
          if before and before < tonumber(ARGV[2]) then redis.call('HDEL', KEYS[2], s[i]); n = n + 1 end
        end
        return n
        """
}
