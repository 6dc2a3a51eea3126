import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import Crypto
import Foundation

/// Rotating refresh tokens in families, with reuse detection, kept in Redis.
///
/// A refresh token is `<family id>.<32 random bytes, base64url>`; Redis holds only its SHA-256
/// (``RedisKeys/refreshToken(_:)``). `POST /v1/tokens` starts a family (``startFamily``); every refresh
/// (``rotate``) marks the presented token used — the marker stays until the record's own expiry — and
/// stores the next token of the same family. Presenting a used token is reuse: the family is revoked and
/// every access token issued in it is written to ``RedisKeys/revokedTokenIDs``. Each step is one Lua script,
/// so two concurrent refreshes of the same token cannot both succeed (the second one is reuse).
///
/// The scripts build two keys from prefixes (the user's family set, the families of a user), which a
/// single Redis (the deployment this project uses) allows; a Redis Cluster would need hash tags.
struct RefreshTokenStore: Sendable {
    let redis: RedisClient
    /// Lifetime of a refresh token and of its family after the last rotation, seconds.
    let refreshTTL: Int
    /// Longest access-token lifetime, seconds: how long a family's `jti` list must be kept.
    let maxTTL: Int

    /// Errors talking to Redis.
    enum Failure: Error { case unavailable(String) }

    /// Starts a family for `sub` and stores its first refresh token; records the first access token.
    ///
    /// - Returns: the refresh token (to hand to the client, never to log).
    func startFamily(
        sub: String, roles: [String], ttl: Int, family: String, tokenID: String, expiresAtMillis: Int64
    ) async throws(Failure) -> String {
        let refreshToken = family + "." + Self.randomToken()
        let reply = try await eval(
            Self.startScript,
            keys: [
                RedisKeys.refreshFamily(family), RedisKeys.refreshFamilyTokens(family),
                RedisKeys.refreshToken(Self.hash(refreshToken)), RedisKeys.userRefreshFamilies(sub),
            ],
            arguments: [
                sub, Self.rolesJSON(roles), String(ttl), family, tokenID, String(expiresAtMillis), String(refreshTTL),
                String(maxTTL),
            ])
        guard reply.int == 1 else { throw .unavailable("unexpected reply \(reply)") }
        return refreshToken
    }

    /// Exchanges `refreshToken` (see the type's description).
    ///
    /// - Parameters:
    ///   - newTokenID: the `jti` the new access token will carry (recorded in the family before it is signed).
    ///   - nowMillis: now, in whole seconds (as ms), so the recorded `exp` equals the token's.
    /// - Returns: the outcome; on `.rotated` the caller signs the access token and returns `nextRefreshToken`.
    func rotate(_ refreshToken: String, newTokenID: String, nowMillis: Int64) async throws(Failure) -> (
        outcome: RefreshOutcome, nextRefreshToken: String?
    ) {
        guard let family = Self.family(of: refreshToken) else { return (.unknown, nil) }
        let next = family + "." + Self.randomToken()
        let reply = try await eval(
            Self.rotateScript,
            keys: [
                RedisKeys.refreshToken(Self.hash(refreshToken)), RedisKeys.refreshFamily(family),
                RedisKeys.refreshFamilyTokens(family), RedisKeys.refreshToken(Self.hash(next)),
                RedisKeys.revokedTokenIDs,
            ],
            arguments: [
                family, newTokenID, String(nowMillis), String(refreshTTL), String(maxTTL),
                RedisKeys.userRefreshFamiliesPrefix,
            ])
        let parts = (reply.array ?? []).map { $0.string ?? "" }
        switch parts.first {
        case "ok" where parts.count == 5:
            let roles = (try? JSONValue.parse(parts[2]))?.arrayValue?.compactMap(\.stringValue) ?? []
            guard let ttl = Int(parts[3]), let exp = Int64(parts[4]) else { return (.unknown, nil) }
            return (.rotated(sub: parts[1], roles: roles, ttl: ttl, family: family, expiresAtMillis: exp), next)
        case "reused" where parts.count >= 2:
            var revoked: [(id: String, expiresAtMillis: Int64)] = []
            var index = 2
            while index + 1 < parts.count {
                revoked.append((parts[index], Int64(parts[index + 1]) ?? nowMillis))
                index += 2
            }
            return (.reused(sub: parts[1], family: family, revoked: revoked), nil)
        case "revoked" where parts.count == 2:
            return (.familyRevoked(sub: parts[1], family: family), nil)
        default:
            return (.unknown, nil)
        }
    }

    /// Revokes every active family of `sub`; returns how many were active.
    func revokeFamilies(of sub: String, nowMillis: Int64) async throws(Failure) -> Int {
        let reply = try await eval(
            Self.revokeUserScript, keys: [RedisKeys.userRefreshFamilies(sub)],
            arguments: [String(nowMillis), RedisKeys.refreshFamilyPrefix])
        return Int(reply.int ?? 0)
    }

    private func eval(_ script: String, keys: [String], arguments: [String]) async throws(Failure) -> RESPValue {
        let reply: RESPValue
        do {
            reply = try await redis.send(["EVAL", script, String(keys.count)] + keys + arguments)
        } catch {
            throw .unavailable("\(error)")
        }
        if let message = reply.errorMessage { throw .unavailable(message) }
        return reply
    }

    /// The family id of a well-formed refresh token.
    static func family(of refreshToken: String) -> String? {
        let parts = refreshToken.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, (16...64).contains(parts[0].utf8.count), (32...64).contains(parts[1].utf8.count),
            refreshToken.utf8.allSatisfy({ Self.isBase64URL($0) || $0 == UInt8(ascii: ".") })
        else { return nil }
        return String(parts[0])
    }

    /// A new family id: 16 random bytes, base64url.
    static func newFamilyID() -> String { randomToken(bytes: 16) }

    static func randomToken(bytes count: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func rolesJSON(_ roles: [String]) -> String { JSONWriter.string(.strings(roles)) }

    private static func isBase64URL(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
    }

    // MARK: Scripts

    /// KEYS: family, family jtis, refresh record, user's families.
    /// ARGV: sub, roles JSON, ttl, family id, jti, exp ms, refresh TTL s, max TTL s.
    static let startScript = """
        redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'revoked', '0')
        redis.call('EXPIRE', KEYS[1], ARGV[7])
        redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
        redis.call('EXPIRE', KEYS[2], ARGV[8])
        redis.call('HSET', KEYS[3], 'sub', ARGV[1], 'roles', ARGV[2], 'ttl', ARGV[3], 'fam', ARGV[4], 'used', '0')
        redis.call('EXPIRE', KEYS[3], ARGV[7])
        redis.call('SADD', KEYS[4], ARGV[4])
        if redis.call('TTL', KEYS[4]) < tonumber(ARGV[7]) then redis.call('EXPIRE', KEYS[4], ARGV[7]) end
        return 1
        """

    /// KEYS: presented record, family, family jtis, next record, revoked jti hash.
    /// ARGV: family id, new jti, now ms, refresh TTL s, max TTL s, prefix of the user's family set.
    static let rotateScript = """
        local rec = redis.call('HMGET', KEYS[1], 'sub', 'roles', 'ttl', 'fam', 'used')
        if not rec[1] or rec[4] ~= ARGV[1] then return {'unknown'} end
        local state = redis.call('HGET', KEYS[2], 'revoked')
        if not state then return {'unknown'} end
        if state ~= '0' then return {'revoked', rec[1]} end
        local now = tonumber(ARGV[3])
        if rec[5] ~= '0' then
          redis.call('HSET', KEYS[2], 'revoked', ARGV[3])
          local out = {'reused', rec[1]}
          local jtis = redis.call('HGETALL', KEYS[3])
          for i = 1, #jtis, 2 do
            local exp = tonumber(jtis[i + 1])
            if exp and exp > now then
              redis.call('HSET', KEYS[5], jtis[i], jtis[i + 1])
              out[#out + 1] = jtis[i]
              out[#out + 1] = jtis[i + 1]
            end
          end
          return out
        end
        redis.call('HSET', KEYS[1], 'used', ARGV[3])
        local exp = string.format('%.0f', now + tonumber(rec[3]) * 1000)
        redis.call('HSET', KEYS[4], 'sub', rec[1], 'roles', rec[2], 'ttl', rec[3], 'fam', ARGV[1], 'used', '0')
        redis.call('EXPIRE', KEYS[4], ARGV[4])
        local jtis = redis.call('HGETALL', KEYS[3])
        for i = 1, #jtis, 2 do
          local old = tonumber(jtis[i + 1])
          if old and old <= now then redis.call('HDEL', KEYS[3], jtis[i]) end
        end
        redis.call('HSET', KEYS[3], ARGV[2], exp)
        redis.call('EXPIRE', KEYS[3], ARGV[5])
        redis.call('EXPIRE', KEYS[2], ARGV[4])
        redis.call('EXPIRE', ARGV[6] .. rec[1], ARGV[4])
        return {'ok', rec[1], rec[2], rec[3], exp}
        """

    /// KEYS: the user's family set. ARGV: now ms, family key prefix.
    /// Marks every active family revoked and drops ids whose family expired.
    static let revokeUserScript = """
        local n = 0
        for _, fam in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local key = ARGV[2] .. fam
          local state = redis.call('HGET', key, 'revoked')
          if not state then
            redis.call('SREM', KEYS[1], fam)
          elseif state == '0' then
            redis.call('HSET', key, 'revoked', ARGV[1])
            n = n + 1
          end
        end
        return n
        """
}
