import CoinDailyProtocol
import Synchronization

/// The revocations a gateway knows, checked on every authentication. Filled from the Redis hashes
/// (``RedisKeys/revokedTokenIDs``, ``RedisKeys/revokedSubjects``) at start and periodically, and from
/// each announcement as it arrives. Safe from any thread.
///
/// Bounded: a token entry is dropped once its `exp` passed. A user entry is kept while the Redis hash holds it
/// (the auth service prunes that hash by its own longest token lifetime, so a token of any lifetime it issued
/// stays refused); an entry only this gateway still holds (announced but lost from the hash, e.g. by a Redis
/// restarted empty) is dropped once it is older than ``subjectRetentionMillis``. Both on every reload.
public final class RevocationList: Sendable {
    private struct State {
        var tokens: [String: Int64] = [:]
        var subjects: [String: Int64] = [:]
    }

    private let state = Mutex(State())
    /// How long a user revocation is kept after its `before` (default 24 h, the auth service's `--max-ttl`).
    public let subjectRetentionMillis: Int64

    /// Creates an empty list that keeps user revocations for `subjectRetentionMillis` (must be positive).
    public init(subjectRetentionMillis: Int64 = 86_400_000) {
        self.subjectRetentionMillis = max(subjectRetentionMillis, 1)
    }

    /// How many token and user entries are held (for metrics and tests).
    public var counts: (tokens: Int, subjects: Int) {
        state.withLock { ($0.tokens.count, $0.subjects.count) }
    }

    /// Adds one revocation.
    public func add(_ revocation: Revocation) {
        state.withLock { state in
            switch revocation {
            case .token(let id, let exp): state.tokens[id] = max(state.tokens[id] ?? 0, exp)
            case .subject(let sub, let before): state.subjects[sub] = max(state.subjects[sub] ?? 0, before)
            }
        }
    }

    /// Replaces the list with the contents of the two hashes (`HGETALL` replies as flat field/value lists),
    /// merged with what the list already holds (announcements that arrived while the reload ran, entries a
    /// Redis restart lost), then drops token entries that expired before `nowMillis` and user entries the hash
    /// does not hold that are older than ``subjectRetentionMillis``.
    ///
    /// - Returns: how many entries the list did not hold before (revocations whose announcement this
    ///   gateway missed, e.g. while its Redis subscription was down): open connections must be checked.
    @discardableResult
    public func replace(tokenHash: [String], subjectHash: [String], nowMillis: Int64) -> Int {
        var next = State()
        var i = 0
        while i + 1 < tokenHash.count {
            next.tokens[tokenHash[i]] = Int64(tokenHash[i + 1]) ?? Int64.max
            i += 2
        }
        i = 0
        while i + 1 < subjectHash.count {
            if let before = Int64(subjectHash[i + 1]) { next.subjects[subjectHash[i]] = before }
            i += 2
        }
        let oldestSubject = nowMillis &- subjectRetentionMillis
        return state.withLock { state in
            next.tokens = next.tokens.filter { $0.value > nowMillis }
            var learned = 0
            for id in next.tokens.keys where state.tokens[id] == nil { learned += 1 }
            for (sub, before) in next.subjects where before > (state.subjects[sub] ?? Int64.min) { learned += 1 }
            for (id, exp) in state.tokens where exp > nowMillis { next.tokens[id] = max(next.tokens[id] ?? 0, exp) }
            for (sub, before) in state.subjects where next.subjects[sub] != nil || before >= oldestSubject {
                next.subjects[sub] = max(next.subjects[sub] ?? 0, before)
            }
            state = next
            return learned
        }
    }

    /// Whether `identity`'s token is revoked.
    public func isRevoked(_ identity: VerifiedIdentity) -> Bool {
        state.withLock { state in
            if state.tokens[identity.tokenId] != nil { return true }
            if let before = state.subjects[identity.userId],
                Revocation.subject(identity.userId, beforeMillis: before).applies(to: identity)
            {
                return true
            }
            return false
        }
    }
}
