import CoinDailyProtocol
import Synchronization

/// The revocations a gateway knows, checked on every authentication. Filled from the Redis hashes
/// (``RedisKeys/revokedTokenIDs``, ``RedisKeys/revokedSubjects``) at start and periodically, and from
/// each announcement as it arrives. Safe from any thread.
public final class RevocationList: Sendable {
    private struct State {
        var tokens: [String: Int64] = [:]
        var subjects: [String: Int64] = [:]
    }

    private let state = Mutex(State())

    /// Creates an empty list.
    public init() {}

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
    /// dropping token entries that expired before `nowMillis`.
    public func replace(tokenHash: [String], subjectHash: [String], nowMillis: Int64) {
        var next = State()
        var i = 0
        while i + 1 < tokenHash.count {
            let exp = Int64(tokenHash[i + 1]) ?? Int64.max
            if exp > nowMillis { next.tokens[tokenHash[i]] = exp }
            i += 2
        }
        i = 0
        while i + 1 < subjectHash.count {
            if let before = Int64(subjectHash[i + 1]) { next.subjects[subjectHash[i]] = before }
            i += 2
        }
        // Keep what announcements added since the reload started (a revocation must never be forgotten).
        state.withLock { state in
            for (id, exp) in state.tokens where exp > nowMillis { next.tokens[id] = max(next.tokens[id] ?? 0, exp) }
            for (sub, before) in state.subjects { next.subjects[sub] = max(next.subjects[sub] ?? 0, before) }
            state = next
        }
    }

    /// Whether `identity`'s token is revoked.
    public func isRevoked(_ identity: VerifiedIdentity) -> Bool {
        state.withLock { state in
            if state.tokens[identity.tokenId] != nil { return true }
            if let before = state.subjects[identity.userId], identity.issuedAtMillis / 1000 <= before / 1000 { return true }
            return false
        }
    }
}
