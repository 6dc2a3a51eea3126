import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import Foundation
import Logging

/// This instance's signing keys: which one signs, rotation, retirement, and their publication in Redis.
///
/// - The newest key of the ``SigningKeyStore`` signs. ``rotate(now:)`` adds a key (persisted, 0600) that
///   signs from then on; the previous keys stay for verification.
/// - A key stopped signing when its successor was created; ``retireAfter`` seconds later (by default the
///   longest token lifetime) every token it signed has expired and ``tick(now:)`` retires it: its private
///   key is deleted from the store and its `kid` removed from `cd:auth:jwks` (`HDEL`).
/// - ``publish()`` writes the current keys (`HSET cd:auth:jwks <kid> <JWKS with that key>`), removes the
///   kids this instance retired, and announces on `cd:auth:keys`; gateways then reload the hash. Several
///   auth instances share the hash: each writes and removes only its own kids, so none removes another's.
///   Publications run one at a time and each writes the state of when it runs, so a late periodic write
///   cannot bring back a kid just removed.
actor KeyManager {
    private var store: SigningKeyStore
    private var issuer: TokenIssuer
    /// Kids this process retired; removed from the hash with every publication (in case a write raced).
    private var retiredKids: [String] = []
    private var lastPublication: Task<Bool, Never>?
    private var announced = false

    private let redis: RedisClient
    private let audit: AuditLog
    /// Seconds a key stays after it stopped signing.
    let retireAfter: Int
    /// Seconds between automatic rotations (0: only on request).
    let rotateEvery: Int

    /// Loads (or creates) the keys in `directory`.
    init(directory: URL, redis: RedisClient, audit: AuditLog, retireAfter: Int, rotateEvery: Int) async throws {
        let store = try SigningKeyStore.loadOrCreate(directory: directory)
        self.store = store
        self.issuer = try await TokenIssuer(store: store)
        self.redis = redis
        self.audit = audit
        self.retireAfter = retireAfter
        self.rotateEvery = rotateEvery
    }

    /// The key id new tokens are signed with.
    var signingKeyID: String { issuer.signingKeyID }

    /// The public keys not retired, newest first.
    var jwks: JWKSet { store.jwks }

    /// Signs `claims` with the current signing key.
    func sign(_ claims: TokenClaims) async throws -> String {
        try await issuer.sign(claims)
    }

    /// Creates a new signing key, persists it, publishes the keys and logs `key.rotated`.
    ///
    /// - Returns: the new key id and the previous one.
    @discardableResult
    func rotate(now: Date = Date(), reason: String, clientIP: String? = nil) async throws -> (kid: String, previous: String) {
        let previous = store.keys[0].kid
        var next = store
        try next.addKey(now: now)
        // Update the state before the first suspension, so a concurrent rotation builds on this one.
        store = next
        let kid = next.keys[0].kid
        try await rebuildIssuer()
        audit.record(
            .keyRotated, "signing key rotated", clientIP: clientIP,
            extra: ["key.kid": "\(kid)", "key.previous": "\(previous)", "reason": "\(reason)"])
        await publish()
        return (kid, previous)
    }

    /// Rotates when the rotation interval is up, retires keys whose window passed, and publishes when
    /// anything changed.
    ///
    /// - Returns: the kids retired.
    @discardableResult
    func tick(now: Date = Date()) async -> [String] {
        let seconds = Int64(now.timeIntervalSince1970)
        if rotateEvery > 0, seconds >= store.keys[0].createdAt + Int64(rotateEvery) {
            do {
                try await rotate(now: now, reason: "interval")
            } catch {
                audit.logger.error("automatic key rotation failed", metadata: ["error": "\(error)"])
            }
        }
        // keys are newest first: key i stopped signing when key i-1 was created.
        var due: Set<String> = []
        for index in store.keys.indices.dropFirst()
        where seconds >= store.keys[index - 1].createdAt + Int64(retireAfter) {
            due.insert(store.keys[index].kid)
        }
        guard !due.isEmpty else { return [] }
        var next = store
        let removed: [String]
        do {
            removed = try next.removeKeys(due)
        } catch {
            audit.logger.error("could not retire keys", metadata: ["error": "\(error)", "kids": "\(due.sorted())"])
            return []
        }
        store = next
        try? await rebuildIssuer()
        for kid in removed {
            retiredKids.append(kid)
            audit.record(.keyRetired, "signing key retired", extra: ["key.kid": "\(kid)"])
        }
        if retiredKids.count > 64 { retiredKids.removeFirst(retiredKids.count - 64) }
        await publish()
        return removed
    }

    /// Makes an issuer for the store as it is now; keeps it unless a newer rotation happened meanwhile.
    private func rebuildIssuer() async throws {
        let built = try await TokenIssuer(store: store)
        if built.signingKeyID == store.keys[0].kid { issuer = built }
    }

    /// Publishes the current keys (after any publication in flight); returns whether Redis took it.
    @discardableResult
    func publish() async -> Bool {
        let previous = lastPublication
        let task = Task { [weak self] () -> Bool in
            _ = await previous?.value
            guard let self else { return false }
            return await self.writeKeys()
        }
        lastPublication = task
        return await task.value
    }

    private func writeKeys() async -> Bool {
        var commands: [[String]] = []
        let current = Set(store.keys.map(\.kid))
        let stale = retiredKids.filter { !current.contains($0) }
        if !stale.isEmpty { commands.append(["HDEL", RedisKeys.jwks] + stale) }
        var hset = ["HSET", RedisKeys.jwks]
        for key in store.jwks.keys { hset += [key.kid, JWKSet(keys: [key]).json()] }
        commands.append(hset)
        commands.append(["PUBLISH", RedisKeys.keysChannel, store.keys.map(\.kid).joined(separator: ",")])
        do {
            var replies = try await redis.pipeline(commands)
            if replies.contains(where: { $0.errorMessage?.hasPrefix("WRONGTYPE") == true }) {
                // A string left by an older version: replace it with the hash.
                replies = try await redis.pipeline([["DEL", RedisKeys.jwks]] + commands)
            }
            guard replies.allSatisfy({ $0.errorMessage == nil }) else {
                audit.logger.warning("Redis refused the public keys", metadata: ["reply": "\(replies)"])
                return false
            }
            if !announced {
                announced = true
                audit.logger.info("public keys published to Redis", metadata: ["kids": "\(store.keys.map(\.kid))"])
            }
            return true
        } catch {
            audit.logger.warning("could not publish public keys", metadata: ["error": "\(error)"])
            return false
        }
    }
}
