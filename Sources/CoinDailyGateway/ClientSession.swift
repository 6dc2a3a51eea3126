import CoinDailyAuthCore
import CoinDailyProtocol
import CoinDailyRedis
import CoinDailyService
import DequeModule
import Logging
import NIOCore
import NIOWebSocket

/// One client's state and the protocol rules, independent of the wire format: authentication,
/// subscriptions and their filters, requests, timeouts.
///
/// Confined to its connection's event loop, like the ``LoopHub`` that indexes it.
final class ClientSession {
    /// A process-wide connection number for logs.
    let connectionID: UInt64
    private let context: GatewayContext
    private let hub: LoopHub
    private let eventLoop: any EventLoop
    /// Strong while the connection lives (the handler owns the session too); cleared in ``stop()``
    /// to break the cycle. Avoids a weak load per delivered event.
    private var transport: (any SessionTransport)?
    /// The client's IP (the peer, or the forwarded address behind a trusted proxy), for logs and limits.
    /// Metadata is built only when something is logged, so an idle connection carries no logger state.
    let clientIP: String

    private(set) var identity: VerifiedIdentity?
    /// Client messages: the rate limit, and the strikes counted against it since `strikeWindowStart`.
    private var bucket: TokenBucket
    private var strikeWindowStart: UInt64 = 0
    /// Per ``ChannelKind/index`` up to the highest kind subscribed: the delivery position and the resume
    /// state. Empty until the first subscription, so idle connections allocate nothing for it.
    private var kindStates: [KindState] = []
    /// The history epoch the positions belong to.
    private var epoch: String?
    /// The live events held while a history is read, in arrival order.
    private var held: [OutboundEvent] = []
    private var filters: [ChannelKind: SubscriptionFilter] = [:] {
        didSet {
            let count = (filters.keys.map(\.index).max() ?? -1) + 1
            filterSlots = (0..<count).map { filters[ChannelKind.allCases[$0]] }
        }
    }
    /// ``filters`` by ``ChannelKind/index``: the fan-out path reads this array, not the dictionary.
    /// Only as long as the highest kind subscribed (empty until the first subscription), like ``kindStates``:
    /// per-connection memory.
    private var filterSlots: [SubscriptionFilter?] = []
    private var kindChannels: [ChannelKind: Set<String>] = [:]
    private var queued: Deque<(id: String?, result: Result<ClientRequest, ProtocolError>)> = []
    /// How to end each history read in flight (by kind index) if its subscription goes first: its callback
    /// then gets ``ResumeOutcome/cancelled``, so a resume of several kinds is never left waiting for it.
    private var pendingResumes: [Int: () -> Void] = [:]
    private var authDeadline: NIODeadline
    private var lastInbound: NIODeadline
    private var nextPing: NIODeadline

    // Small fields together, so they pack into a few words of every connection.

    /// Rate-limited messages in the current strike window.
    private var strikes: Int32 = 0
    /// Kinds (bit per ``ChannelKind/index``) whose live events are held while their history is read.
    private var holding: UInt16 = 0
    /// Kinds (bits) with a resume under way: from the history read until its held events are released.
    private var inFlight: UInt16 = 0
    /// Kinds (bits) whose Redis subscription dropped during their resume: resynced once it is released.
    private var resyncAfter: UInt16 = 0
    /// Whether the user is counted against the per-user connection limit (released in ``stop()``).
    private var userAdmitted = false
    /// Whether `token_expiring` was sent for the current token.
    private var expiryWarned = false
    /// Whether the gateway lost its Redis subscription and this session must resume once it is back.
    private var resyncPending = false
    private var authInFlight = false
    private(set) var isClosed = false
    /// Set by the hub while the session waits for its end-of-batch flush.
    var isDirty = false

    /// Whether this session has authenticated.
    var isAuthenticated: Bool { identity != nil }

    init(connectionID: UInt64, context: GatewayContext, hub: LoopHub, transport: any SessionTransport, clientIP: String) {
        self.connectionID = connectionID
        self.context = context
        self.hub = hub
        self.eventLoop = hub.eventLoop
        self.transport = transport
        self.clientIP = clientIP
        let now = NIODeadline.now()
        let security = context.configuration.security
        self.bucket = TokenBucket(capacity: security.messageBurst, nowNanos: now.uptimeNanoseconds)
        self.authDeadline = now + .milliseconds(context.configuration.authTimeout.milliseconds)
        self.lastInbound = now
        self.nextPing = now + .milliseconds(context.configuration.pingInterval.milliseconds)
    }

    /// Logs `message` with this connection's metadata (`connection.id`, `connection.remote`, `user.id`).
    private func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, _ extra: Logger.Metadata = [:]) {
        let logger = context.logger
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = ["connection.id": "\(connectionID)", "client.ip": "\(clientIP)"]
        if let identity { metadata["user.id"] = "\(identity.userId)" }
        metadata.merge(extra) { _, new in new }
        logger.log(level: level, message(), metadata: metadata)
    }

    /// An audit line (`audit` metadata names the event): authentication failures, forbidden subscriptions,
    /// limit hits, revocations. Never contains a token.
    private func audit(_ event: String, _ message: @autoclosure () -> Logger.Message, _ extra: Logger.Metadata = [:]) {
        var metadata = extra
        metadata["audit"] = "\(event)"
        log(.notice, message(), metadata)
    }

    /// A configured limit was hit: counted in `coindaily_gateway_limit_hits_total{limit}` and logged as the
    /// audit line `audit=limit_<limit>` with this connection's id, IP and user.
    func limitHit(_ limit: String, _ message: @autoclosure () -> Logger.Message, _ extra: Logger.Metadata = [:]) {
        context.metrics.limitHit(limit)
        audit("limit_" + limit, message(), extra)
    }

    // MARK: Lifecycle

    func start() {
        hub.register(self)
        context.metrics.connections.increment()
        context.metrics.connectionsAccepted.increment()
        context.openConnections.add(1, ordering: .relaxed)
    }

    /// The transport is gone: leave every channel.
    func stop() {
        guard !isClosed else { return }
        isClosed = true
        for (_, channels) in kindChannels {
            for channel in channels { hub.leave(self, channel: channel) }
        }
        context.metrics.subscriptions.decrement(by: Double(filters.count))
        kindChannels.removeAll()
        filters.removeAll()
        queued.removeAll()
        pendingResumes.removeAll()  // their closures hold this session
        held.removeAll()
        holding = 0
        inFlight = 0
        resyncAfter = 0
        if userAdmitted, let user = identity?.userId {
            context.connectionGuard.releaseUser(user)
            userAdmitted = false
        }
        hub.unregister(self)
        transport = nil
        context.metrics.connections.decrement()
        context.openConnections.subtract(1, ordering: .relaxed)
    }

    /// Any frame from the client counts as a sign of life.
    func touched() { lastInbound = .now() }

    func close(code: WebSocketErrorCode, reason: String) {
        transport?.close(code: code, reason: reason)
    }

    /// Checks the auth deadline, the token's expiry, the idle timeout and the keep-alive ping.
    func sweep(now: NIODeadline) {
        guard !isClosed else { return }
        if identity == nil && !authInFlight && now >= authDeadline {
            sendError(ProtocolError(.connectionTimeout, "authentication timeout: send an auth message first"))
            limitHit("auth_timeout", "closing: authentication timeout")
            close(code: CloseCode.policyViolation, reason: "authentication timeout")
            return
        }
        if let identity {
            let nowMillis = context.clock()
            if nowMillis >= identity.expiresAtMillis {
                sendError(ProtocolError(.authFailed, "token expired: reconnect with a fresh token"), type: "error")
                log(.info, "closing: token expired")
                close(code: CloseCode.policyViolation, reason: "token expired")
                return
            }
            if !expiryWarned, nowMillis >= identity.expiresAtMillis - context.configuration.security.tokenExpiryWarning.milliseconds {
                expiryWarned = true
                let seconds = max(0, (identity.expiresAtMillis - nowMillis) / 1000)
                transport?.sendMessage(
                    type: "token_expiring",
                    data: [
                        "expiresAt": .int(identity.expiresAtMillis), "expiresIn": .int(seconds),
                        "message": .string("token expires in \(seconds) s: send auth with a fresh token to stay connected"),
                    ], replyTo: nil)
            }
        }
        if now - lastInbound >= .milliseconds(context.configuration.idleTimeout.milliseconds) {
            limitHit("idle_timeout", "closing: idle timeout")
            close(code: CloseCode.idleTimeout, reason: "idle timeout")
            return
        }
        if now >= nextPing {
            nextPing = now + .milliseconds(context.configuration.pingInterval.milliseconds)
            transport?.sendKeepAlive()
        }
    }

    // MARK: Fan-out

    @inline(__always)
    func accepts(_ event: OutboundEvent) -> Bool {
        let index = event.kind.index
        return index < filterSlots.count && (filterSlots[index]?.matches(event.attributes) ?? false)
    }

    @inline(__always)
    func enqueue(_ event: OutboundEvent) -> Bool {
        if kindStates.isEmpty { return transport?.writeEvent(event) ?? false }
        let index = event.kind.index
        if holding & (1 << index) != 0 {
            hold(event)
            return false
        }
        // Skipped when already replayed, or known to the client from before its resume.
        guard advance(event) else { return false }
        return transport?.writeEvent(event) ?? false
    }

    private func hold(_ event: OutboundEvent) {
        guard held.count < context.configuration.delivery.maxHeldEvents else {
            context.metrics.slowConsumers.increment()
            log(.info, "closing: too many events held during a resume")
            close(code: CloseCode.slowConsumer, reason: "slow")
            return
        }
        held.append(event)
    }

    func flush() { transport?.flush() }

    // MARK: Requests

    /// Handles one decoded client message, in arrival order (messages that arrive while an `auth` is
    /// being verified wait for it).
    func receive(id: String?, result: Result<ClientRequest, ProtocolError>) {
        guard !isClosed else { return }
        context.metrics.messagesIn.increment()
        guard admitMessage() else {
            if !isClosed {
                sendError(
                    ProtocolError(
                        .rateLimitExceeded,
                        "rate limit exceeded: at most \(Int(context.configuration.security.messagesPerSecond)) messages per second; message dropped"),
                    replyTo: id)
            }
            return
        }
        if authInFlight {
            guard queued.count < context.configuration.maxPendingMessagesDuringAuth else {
                limitHit("auth_queue", "message dropped: too many messages while authenticating")
                sendError(ProtocolError(.rateLimitExceeded, "too many messages while authenticating"), replyTo: id)
                return
            }
            queued.append((id, result))
            return
        }
        handle(id: id, result: result)
    }

    /// Takes a token from the message bucket; counts a strike when there is none, and closes the
    /// connection (4029) when the strikes within the window reach the limit.
    private func admitMessage() -> Bool {
        let now = NIODeadline.now().uptimeNanoseconds
        let security = context.configuration.security
        if bucket.take(nowNanos: now, rate: security.messagesPerSecond, capacity: security.messageBurst) { return true }
        let window = UInt64(security.rateLimitWindow.milliseconds) * 1_000_000
        if now &- strikeWindowStart > window {
            strikeWindowStart = now
            strikes = 0
        }
        strikes += 1
        context.metrics.limitHit("message_rate")
        if strikes == 1 { audit("rate_limited", "message rate limit hit") }
        if strikes >= Int32(clamping: security.rateLimitStrikes) {
            context.metrics.limitHit("message_rate_disconnect")
            audit("rate_limit_disconnect", "closing: message rate limit exceeded repeatedly", ["strikes": "\(strikes)"])
            close(code: CloseCode.rateLimited, reason: "rate limit exceeded")
        }
        return false
    }

    private func handle(id: String?, result: Result<ClientRequest, ProtocolError>) {
        let request: ClientRequest
        switch result {
        case .failure(let error):
            if let limit = error.limit { limitHit(limit, "request over a limit: \(error.message)") }
            sendError(error, replyTo: id)
            return
        case .success(let r):
            request = r
        }
        if case .auth(let token) = request {
            authenticate(token: token, id: id)
            return
        }
        guard let identity else {
            sendError(
                ProtocolError(.authRequired, "authentication required: send {\"type\":\"auth\",\"token\":\"<jwt>\"} first"),
                replyTo: id)
            return
        }
        switch request {
        case .auth:
            break
        case .ping:
            transport?.sendMessage(type: "pong", data: nil, replyTo: id)
        case .subscribe(let kind, let parameters):
            subscribe(kind, parameters, identity: identity, id: id)
        case .unsubscribe(let kind, let parameters):
            unsubscribe(kind, parameters, identity: identity, id: id)
        case .getMarketSentiment(let tokens):
            snapshot(tokens: tokens, id: id)
        }
    }

    private func drainQueue() {
        while !authInFlight, !isClosed, let next = queued.popFirst() {
            handle(id: next.id, result: next.result)
        }
    }

    // MARK: Authentication

    private func authenticate(token: String?, id: String?) {
        guard let token else {
            authRefused(.malformed, detail: "no token given", id: id)
            return
        }
        authInFlight = true
        let verifier = context.verifier
        let promise = eventLoop.makePromise(of: VerifiedIdentity.self)
        promise.completeWithTask { try await verifier.verify(token) }
        promise.futureResult.assumeIsolated().whenComplete { result in
            self.authInFlight = false
            guard !self.isClosed else { return }
            switch result {
            case .success(let verified) where self.context.revocations.isRevoked(verified):
                self.authRefused(.revoked, detail: nil, id: id, verified: verified)
            case .success(let verified):
                self.authenticated(verified, id: id)
            case .failure(let error):
                self.authRefused((error as? AuthFailure) ?? .malformed, detail: nil, id: id)
            }
            self.drainQueue()
        }
    }

    /// `verified`: the claims of a token that verified but is refused all the same (revoked), for the audit line.
    private func authRefused(_ failure: AuthFailure, detail: String?, id: String?, verified: VerifiedIdentity? = nil) {
        context.metrics.authFailure.increment()
        context.metrics.error(.authFailed)
        var extra: Logger.Metadata = ["reason": "\(failure)"]
        if let verified {
            extra["token.jti"] = "\(verified.tokenId)"
            extra["user.id"] = "\(verified.userId)"
        }
        audit("auth_failed", "authentication failed", extra)
        let message = detail.map { "Authentication failed: \($0)" } ?? failure.description
        transport?.authFailed(ProtocolError(.authFailed, message), replyTo: id)
    }

    private func authenticated(_ verified: VerifiedIdentity, id: String?) {
        if let current = identity, current.userId != verified.userId {
            context.metrics.authFailure.increment()
            context.metrics.error(.authFailed)
            audit("auth_failed", "re-authentication with another user's token refused", ["token.jti": "\(verified.tokenId)"])
            transport?.authFailed(
                ProtocolError(.authFailed, "Authentication failed: token belongs to another user than this connection"),
                replyTo: id)
            return
        }
        if !userAdmitted {
            guard context.connectionGuard.admitUser(verified.userId) else {
                let limit = context.configuration.security.maxConnectionsPerUser
                audit("limit_connections_per_user", "closing: too many connections for this user", ["user.id": "\(verified.userId)"])
                transport?.authFailed(
                    ProtocolError(.rateLimitExceeded, "too many connections for this user (at most \(limit))"), replyTo: id)
                close(code: CloseCode.tooManyConnections, reason: "too many connections")
                return
            }
            userAdmitted = true
        }
        let rolesChanged = identity.map { $0.roles != verified.roles } ?? false
        identity = verified
        expiryWarned = false
        context.metrics.authSuccess.increment()
        log(.debug, "authenticated")
        if rolesChanged { revalidateSubscriptions(identity: verified) }
        transport?.authSucceeded(verified, replyTo: id)
    }

    /// A revocation was announced: closes this connection (4001) if it applies to its token.
    func revoke(_ revocation: Revocation) {
        guard !isClosed, let identity, revocation.applies(to: identity) else { return }
        closeRevoked(identity)
    }

    /// The revocation list learnt entries from Redis whose announcement was missed: closes this
    /// connection (4001) if its token is now revoked.
    func recheckRevocation() {
        guard !isClosed, let identity, context.revocations.isRevoked(identity) else { return }
        closeRevoked(identity)
    }

    private func closeRevoked(_ identity: VerifiedIdentity) {
        context.metrics.revokedDisconnects.increment()
        audit("revoked_disconnect", "closing: token revoked", ["token.jti": "\(identity.tokenId)"])
        sendError(ProtocolError(.authFailed, "token revoked"))
        close(code: CloseCode.tokenRevoked, reason: "token revoked")
    }

    /// After a re-authentication with other roles, drops subscriptions the new token does not allow.
    private func revalidateSubscriptions(identity: VerifiedIdentity) {
        for kind in Array(filters.keys) where !kind.isAllowed(for: identity.roles) {
            removeKind(kind)
        }
        for kind in Array(filters.keys) { rejoin(kind, identity: identity) }
    }

    // MARK: Subscriptions

    private func subscribe(_ kind: ChannelKind, _ parameters: SubscriptionRequest, identity: VerifiedIdentity, id: String?) {
        guard kind.isAllowed(for: identity.roles) else {
            let roles = (kind.allowedRoles ?? []).map(\.rawValue).sorted().joined(separator: " or ")
            audit("forbidden_subscription", "forbidden subscription", ["channel": "\(kind.rawValue)"])
            sendError(
                .subscription("forbidden: \(kind.rawValue) requires the role \(roles)"), replyTo: id)
            return
        }
        var filter = filters[kind] ?? SubscriptionFilter(kind: kind, request: parameters)
        if filters[kind] != nil { filter.merge(parameters) }
        let wanted = ChannelRouting.redisChannels(for: filter, userId: identity.userId, roles: identity.roles)
        let current = kindChannels[kind] ?? []
        let total = kindChannels.values.reduce(0) { $0 + $1.count } - current.count + wanted.count
        guard total <= context.configuration.maxChannelsPerConnection else {
            limitHit("subscriptions_per_connection", "too many subscriptions", ["channels": "\(total)"])
            sendError(
                .subscription(
                    "too many subscriptions: at most \(context.configuration.maxChannelsPerConnection) channels per connection"),
                replyTo: id)
            return
        }
        // Keys that add no Redis channel (task, pipeline, agent ids) are bounded here (the channel limit above does
        // not see them): never stricter than that limit for keys that are channels (tokens).
        let maxKeys = max(context.configuration.requestLimits.maxTokensPerRequest, context.configuration.maxChannelsPerConnection)
        if let keys = filter.keys, keys.count > maxKeys {
            limitHit("keys_per_subscription", "too many keys in one subscription", ["keys": "\(keys.count)"])
            sendError(
                .subscription("too many keys in the \(kind.rawValue) subscription: at most \(maxKeys) (tokens, ids or timeframes)"),
                replyTo: id)
            return
        }
        // A second resume of a kind whose replay is still being written would release its held events early.
        let resumeUnderWay =
            (kindStates.indices.contains(kind.index) && kindStates[kind.index].resuming)
            || (parameters.since != nil && inFlight & (1 << kind.index) != 0)
        if resumeUnderWay {
            sendError(.subscription("a resume of \(kind.rawValue) is in progress: retry when it is confirmed"), replyTo: id)
            return
        }
        let isNew = filters[kind] == nil
        if isNew { context.metrics.subscriptions.increment() }
        ensureKindState(kind)
        filters[kind] = filter
        apply(kind, wanted: wanted)
        guard canResume, isNew || parameters.since != nil else {
            confirm(kind, parameters, outcome: parameters.since == nil ? nil : .unavailable(reason: resumeUnavailableReason), id: id)
            return
        }
        resume(kind, since: parameters.since) { outcome, replay in
            if case .cancelled = outcome {
                // Unsubscribed (or no longer allowed) while its history was read: the request still gets an answer.
                self.sendError(.subscription("the \(kind.rawValue) subscription ended before it was confirmed"), replyTo: id)
                return
            }
            self.confirm(kind, parameters, outcome: outcome, id: id)
            let resumed = [self.resumed(kind)]
            self.write(replay) { self.release(resumed) }
        }
    }

    /// `subscription_confirmed` with the position (and `recovered` when `since` was given), then the
    /// snapshot when the client may lack the current state.
    private func confirm(_ kind: ChannelKind, _ parameters: SubscriptionRequest, outcome: ResumeOutcome?, id: String?) {
        guard !isClosed else { return }
        var data = parameters.confirmationData(for: kind).objectValue ?? [:]
        var needsSnapshot = parameters.since == nil
        switch outcome {
        case .fresh(let position)?:
            data["position"] = .string(position.description)
        case .recovered(let position, let replayed)?:
            data["position"] = .string(position.description)
            data["recovered"] = true
            data["replayed"] = .int(Int64(replayed))
        case .notRecovered(let reason, let position)?:
            data["position"] = .string(position.description)
            data["recovered"] = false
            data["reason"] = .string(reason)
            needsSnapshot = true
        case .unavailable(let reason)?:
            if parameters.since != nil {
                data["recovered"] = false
                data["reason"] = .string(reason)
                needsSnapshot = true
            }
        case .cancelled?, nil:
            break
        }
        if let outcome { context.metrics.resume(outcome.label) }
        transport?.sendMessage(type: "subscription_confirmed", data: .object(data), replyTo: id)
        transport?.subscriptionsChanged()
        if needsSnapshot { sendSnapshot(kind, parameters, includeSentiment: parameters.since != nil) }
    }

    /// After subscribing to system health or trending, the latest value(s) are sent at once as ordinary
    /// update events (`system_health_update`, one `trending_memecoins_update` per requested timeframe), so
    /// a client does not wait up to 30 s or 5 min for its first data; after a resume that could not
    /// recover, market sentiment's latest values too. Nothing is sent when there is none yet or Redis is
    /// unreachable (the next live update comes anyway).
    private func sendSnapshot(_ kind: ChannelKind, _ parameters: SubscriptionRequest, includeSentiment: Bool) {
        let keys: [String]
        switch kind {
        case .systemHealth: keys = [RedisKeys.latestSystemHealth]
        case .trendingMemecoins: keys = (parameters.timeframes ?? SubscriptionRequest.allTimeframes).map(RedisKeys.latestTrending)
        case .marketSentiment where includeSentiment: keys = (parameters.tokens ?? []).map(RedisKeys.latestSentiment)
        default: return
        }
        guard !keys.isEmpty else { return }
        context.redis.sendFuture(["MGET"] + keys).hop(to: eventLoop).assumeIsolated().whenSuccess { reply in
            guard !self.isClosed, self.filters[kind] != nil else { return }
            for value in reply.array ?? [] {
                guard let bytes = value.bytes, let data = try? JSONValue.parse(bytes), data.objectValue != nil else { continue }
                self.transport?.sendMessage(type: kind.updateEvent, data: data, replyTo: nil)
            }
        }
    }

    private func unsubscribe(_ kind: ChannelKind, _ parameters: SubscriptionRequest?, identity: VerifiedIdentity, id: String?) {
        if let parameters, var filter = filters[kind] {
            if filter.remove(parameters) {
                filters[kind] = filter
                apply(kind, wanted: ChannelRouting.redisChannels(for: filter, userId: identity.userId, roles: identity.roles))
            } else {
                removeKind(kind)
            }
        } else {
            removeKind(kind)
        }
        let data = parameters?.confirmationData(for: kind) ?? ["channel": .string(kind.rawValue)]
        transport?.sendMessage(type: "unsubscription_confirmed", data: data, replyTo: id)
        transport?.subscriptionsChanged()
    }

    private func removeKind(_ kind: ChannelKind) {
        guard filters.removeValue(forKey: kind) != nil else { return }
        context.metrics.subscriptions.decrement()
        apply(kind, wanted: [])
        let bit: UInt16 = 1 << kind.index
        if holding & bit != 0 {
            holding &= ~bit
            held.removeAll { $0.kind == kind }
        }
        inFlight &= ~bit
        resyncAfter &= ~bit
        if kind.index < kindStates.count {
            let generation = kindStates[kind.index].generation &+ 1
            kindStates[kind.index] = KindState(generation: generation)
        }
        pendingResumes.removeValue(forKey: kind.index)?()
    }

    private func rejoin(_ kind: ChannelKind, identity: VerifiedIdentity) {
        guard let filter = filters[kind] else { return }
        apply(kind, wanted: ChannelRouting.redisChannels(for: filter, userId: identity.userId, roles: identity.roles))
    }

    /// Joins and leaves hub channels so that `kind` receives exactly `wanted`.
    private func apply(_ kind: ChannelKind, wanted: Set<String>) {
        let current = kindChannels[kind] ?? []
        for channel in wanted.subtracting(current) { hub.join(self, channel: channel) }
        for channel in current.subtracting(wanted) { hub.leave(self, channel: channel) }
        kindChannels[kind] = wanted.isEmpty ? nil : wanted
    }

    // MARK: Resume

    /// Whether subscriptions can read the history: it is enabled and the gateway's Redis subscription is up
    /// (while it is down, nothing can be resumed; the session resyncs when it is back).
    private var canResume: Bool {
        historyEnabled && (context.registry?.isLive ?? false)
    }

    private var historyEnabled: Bool { context.configuration.delivery.historyEnabled && context.history != nil }

    /// Why a resume cannot be tried: the history is off, or the gateway's Redis subscription is down.
    private var resumeUnavailableReason: String { historyEnabled ? "history unavailable" : "history disabled" }

    /// Holds `kind`'s live events and reads its history after `since` (or only the current position), then
    /// calls `then` with the outcome and the events to replay, in order. The caller writes them and calls
    /// ``release(_:)``; until then the live events stay held.
    ///
    /// `movesStart`: whether the subscription's start (kept for Socket.IO recovery) becomes what the client is
    /// now known to have — not for the gateway's own resync, whose `since` is what was written, not received.
    private func resume(
        _ kind: ChannelKind, since: EventID?, movesStart: Bool = true,
        then: @escaping (ResumeOutcome, [OutboundEvent]) -> Void
    ) {
        let index = kind.index
        guard let history = context.history, let registry = context.registry, index < kindStates.count else {
            then(.unavailable(reason: "history disabled"), [])
            return
        }
        kindStates[index].generation &+= 1
        kindStates[index].resuming = true
        let generation = kindStates[index].generation
        holding |= 1 << index
        inFlight |= 1 << index
        let channels = Array(kindChannels[kind] ?? [])
        let delivery = context.configuration.delivery
        let read = registry.whenSubscribed(channels).flatMap {
            history.resume(since: since, channels: channels, limit: delivery.maxReplay)
        }.hop(to: eventLoop)
        // Exactly one of: the answer, the timeout, the subscription going (``removeKind(_:)``).
        var finished = false
        var timeout: Scheduled<Void>?
        let finish = { (result: Result<HistoryReader.Outcome, any Error>) in
            guard !finished else { return }
            finished = true
            timeout?.cancel()
            self.pendingResumes[index] = nil
            self.finishResume(kind, generation: generation, since: since, movesStart: movesStart, result: result, then: then)
        }
        pendingResumes[index] = {
            guard !finished else { return }
            finished = true
            timeout?.cancel()
            then(.cancelled, [])
        }
        timeout = eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(delivery.resumeTimeout.milliseconds)) {
            finish(.failure(ResumeTimeout()))
        }
        read.assumeIsolated().whenComplete { finish($0) }
    }

    private struct ResumeTimeout: Error {}

    private func finishResume(
        _ kind: ChannelKind, generation: UInt32, since: EventID?, movesStart: Bool,
        result: Result<HistoryReader.Outcome, any Error>, then: (ResumeOutcome, [OutboundEvent]) -> Void
    ) {
        let index = kind.index
        guard !isClosed, index < kindStates.count, kindStates[index].generation == generation else { return }
        kindStates[index].generation &+= 1  // a late answer (after the timeout) is ignored
        kindStates[index].resuming = false
        switch result {
        case .success(.complete(let epoch, let top, let entries)):
            self.epoch = epoch
            var replay: [OutboundEvent] = []
            if let since {
                let allocator = ByteBufferAllocator()
                let filter = filters[kind]
                for entry in entries {
                    guard let event = OutboundEvent.decode(channel: "", payload: entry.payload, allocator: allocator) else { continue }
                    if kind == .marketSentiment || (filter?.matches(event.attributes) ?? false) { replay.append(event) }
                }
                replay.sort { $0.position < $1.position }
                kindStates[index].watermark = Swift.max(top, since.position)
            }
            kindStates[index].position = Swift.max(top, since?.position ?? .zero)
            // What the client is known to have: everything up to `top` for a new subscription; up to `since`
            // after a resume (the replay may not reach it if this connection dies too).
            if movesStart { kindStates[index].subscribedAt = since?.position ?? top }
            let position = EventID(epoch: epoch, position: top)
            then(since == nil ? .fresh(position: position) : .recovered(position: position, replayed: replay.count), replay)
        case .success(.incomplete(let reason, let epoch, let top)):
            self.epoch = epoch
            kindStates[index].position = top
            if movesStart { kindStates[index].subscribedAt = top }
            log(.info, "resume incomplete", ["channel": "\(kind.rawValue)", "reason": "\(reason)"])
            then(.notRecovered(reason: reason, position: EventID(epoch: epoch, position: top)), [])
        case .failure(let error):
            log(.warning, "history unavailable", ["channel": "\(kind.rawValue)", "error": "\(error)"])
            then(.unavailable(reason: "history unavailable"), [])
        }
    }

    /// Writes replayed events (already filtered and ordered), then calls `then` (paced by the transport).
    private func write(_ replay: [OutboundEvent], then: @escaping () -> Void) {
        guard !isClosed, let transport, !replay.isEmpty else {
            then()
            return
        }
        context.metrics.messagesOut.increment(by: replay.count)
        transport.writeReplay(replay) { [weak self] in
            guard let self, !self.isClosed else { return }
            then()
        }
    }

    /// Delivers the held live events of the kinds in `kinds` (bits) in arrival order — skipping those the
    /// replay already covered, paced like the replay — and stops holding them once none is left.
    ///
    /// Kinds whose Redis subscription dropped meanwhile keep their held events: they are resynced from their last
    /// delivered event first — at once if the subscription is back (``resyncAfter``), by ``resync()`` when it comes
    /// back if it is still down — so nothing of the outage is skipped or reordered. A kind unsubscribed since its
    /// history read ended (and maybe subscribed again, with a resume of its own) is left alone.
    private func release(_ kinds: [ResumedKind]) {
        guard !isClosed else { return }
        var mine: UInt16 = 0
        for kind in kinds where kind.index < kindStates.count && kindStates[kind.index].generation == kind.generation {
            mine |= 1 << kind.index
        }
        let deferred = resyncPending ? mine : resyncAfter & mine
        let releasing = mine & ~deferred
        var ready: [OutboundEvent] = []
        if !held.isEmpty {
            var keep: [OutboundEvent] = []
            for event in held {
                if releasing & (1 << event.kind.index) == 0 {
                    keep.append(event)
                } else if advance(event) {
                    ready.append(event)
                }
            }
            held = keep
        }
        guard !ready.isEmpty else {
            holding &= ~releasing
            inFlight &= ~mine
            transport?.flush()
            let now = resyncAfter & mine
            resyncAfter &= ~mine
            // While the subscription is still down, ``resync()`` takes these kinds (no longer in flight) when it is back.
            if !resyncPending, now != 0 {
                resync(ChannelKind.allCases.filter { now & (1 << $0.index) != 0 && filters[$0] != nil })
            }
            return
        }
        // More may be held while these are written: go round until nothing is left.
        write(ready) { self.release(kinds) }
    }

    /// A kind whose history read ended, with its generation then (``KindState/generation``, bumped when it goes).
    private struct ResumedKind {
        var index: Int
        var generation: UInt32
    }

    private func resumed(_ kind: ChannelKind) -> ResumedKind {
        ResumedKind(index: kind.index, generation: kind.index < kindStates.count ? kindStates[kind.index].generation : 0)
    }

    /// The events of `replay` whose kind is still as it was when its history was read.
    private func current(_ replay: [OutboundEvent], _ kinds: [ResumedKind]) -> [OutboundEvent] {
        var valid: UInt16 = 0
        for kind in kinds where kind.index < kindStates.count && kindStates[kind.index].generation == kind.generation {
            valid |= 1 << kind.index
        }
        return replay.filter { valid & (1 << $0.kind.index) != 0 }
    }

    /// Grows ``kindStates`` to hold `kind` (only as far as the highest kind subscribed: most connections
    /// subscribe to one or two kinds, and this is per-connection memory).
    private func ensureKindState(_ kind: ChannelKind) {
        while kindStates.count <= kind.index { kindStates.append(KindState()) }
    }

    /// Whether a live event is new to the client (above its kind's watermark); records its position.
    private func advance(_ event: OutboundEvent) -> Bool {
        guard let id = event.id else { return true }
        let index = event.kind.index
        guard index < kindStates.count else { return true }
        if id.position <= kindStates[index].watermark { return false }
        kindStates[index].position = id.position
        if epoch != id.epoch { epoch = id.epoch }
        return true
    }

    /// The gateway lost its Redis subscription: hold every subscription's live events until ``resync()``.
    func subscriberLost() {
        guard !isClosed, !filters.isEmpty else { return }
        for kind in filters.keys { holding |= 1 << kind.index }
        resyncPending = true
    }

    /// The Redis subscription is back: each subscription resumes from its last delivered position; a
    /// session whose history cannot be recovered is closed with 3010 (reconnect and resume).
    func resync() {
        guard resyncPending, !isClosed else { return }
        resyncPending = false
        // Kinds with a resume under way are resynced when it is over (their held events wait for it).
        var now: [ChannelKind] = []
        for kind in filters.keys {
            if inFlight & (1 << kind.index) != 0 {
                resyncAfter |= 1 << kind.index
            } else {
                now.append(kind)
            }
        }
        resync(now)
    }

    /// Resumes `kinds` from their last delivered positions, replays them merged in order, then releases them.
    private func resync(_ kinds: [ChannelKind]) {
        guard !kinds.isEmpty, !isClosed else { return }
        var remaining = kinds.count
        var complete = true
        var replay: [OutboundEvent] = []
        var resumed: [ResumedKind] = []
        for kind in kinds {
            let position = kind.index < kindStates.count ? kindStates[kind.index].position : .zero
            let since = epoch.flatMap { position == .zero ? nil : EventID(epoch: $0, position: position) }
            resume(kind, since: since, movesStart: false) { outcome, events in
                self.context.metrics.resume(outcome.label)
                complete = complete && outcome.isComplete
                if case .cancelled = outcome {} else { resumed.append(self.resumed(kind)) }
                replay += events
                remaining -= 1
                guard remaining == 0 else { return }
                guard complete else {
                    self.log(.info, "closing: events lost while Redis was unreachable")
                    self.close(code: CloseCode.insufficientState, reason: "insufficient state")
                    return
                }
                // All kinds at once, in position order: a Socket.IO client keeps one offset for all of them.
                replay = self.current(replay, resumed)
                replay.sort { $0.position < $1.position }
                self.write(replay) { self.release(resumed) }
            }
        }
    }

    // MARK: Socket.IO connection state

    /// The subscriptions with their starting positions, for Socket.IO connection state recovery:
    /// `{"sub","epoch","subs":[{…filter…,"position":"<ms>-<seq>"}]}`.
    func exportState() -> JSONValue? {
        guard let identity else { return nil }
        var subs: [JSONValue] = []
        for (kind, filter) in filters {
            var object = filter.json.objectValue ?? [:]
            if kind.index < kindStates.count { object["position"] = .string(kindStates[kind.index].subscribedAt.description) }
            subs.append(.object(object))
        }
        var state: [String: JSONValue] = ["sub": .string(identity.userId), "subs": .array(subs)]
        if let epoch { state["epoch"] = .string(epoch) }
        return .object(state)
    }

    /// Restores the subscriptions of ``exportState()`` and reads what each missed after `offset` (the last
    /// event the client got) or its starting position, whichever is later. `then` gets whether everything
    /// can be recovered; only then are the missed events written — by `deliver`, which the caller calls
    /// after telling the client. When not, the subscriptions are dropped again.
    func restore(_ state: JSONValue, offset: EventID?, then: @escaping (_ recovered: Bool, _ deliver: @escaping () -> Void) -> Void) {
        guard !isClosed, let identity, state["sub"]?.stringValue == identity.userId, let subs = state["subs"]?.arrayValue,
            canResume,
            let epoch = offset?.epoch ?? state["epoch"]?.stringValue
        else {
            then(false, {})
            return
        }
        // Every kept subscription comes back or the socket is not recovered: a socket told "recovered" that lost one
        // (a token with fewer roles now) would wait for its events for ever.
        var kept: [(filter: SubscriptionFilter, state: JSONValue)] = []
        for sub in subs {
            guard let filter = SubscriptionFilter(json: sub) else {
                then(false, {})
                return
            }
            guard filter.kind.isAllowed(for: identity.roles) else {
                audit("forbidden_subscription", "kept subscription not allowed by the token: not recovered", ["channel": "\(filter.kind.rawValue)"])
                then(false, {})
                return
            }
            kept.append((filter, sub))
        }
        var pending: [(ChannelKind, EventID)] = []
        for (filter, sub) in kept {
            guard filters[filter.kind] == nil else { continue }
            let start = sub["position"]?.stringValue.flatMap { EventPosition(Substring($0)) } ?? .zero
            let since = Swift.max(start, offset?.position ?? .zero)
            context.metrics.subscriptions.increment()
            filters[filter.kind] = filter
            ensureKindState(filter.kind)
            kindStates[filter.kind.index].subscribedAt = start
            apply(filter.kind, wanted: ChannelRouting.redisChannels(for: filter, userId: identity.userId, roles: identity.roles))
            pending.append((filter.kind, EventID(epoch: epoch, position: since)))
        }
        guard !pending.isEmpty else {
            then(true, {})
            return
        }
        var remaining = pending.count
        var complete = true
        var replay: [OutboundEvent] = []
        var resumed: [ResumedKind] = []
        for (kind, since) in pending {
            resume(kind, since: since) { outcome, events in
                self.context.metrics.resume(outcome.label)
                complete = complete && outcome.isComplete
                if case .cancelled = outcome {} else { resumed.append(self.resumed(kind)) }
                replay += events
                remaining -= 1
                guard remaining == 0 else { return }
                if complete {
                    replay = self.current(replay, resumed)
                    replay.sort { $0.position < $1.position }
                    then(true) {
                        self.write(replay) { self.release(resumed) }
                    }
                } else {
                    for (kind, _) in pending { self.removeKind(kind) }
                    then(false, {})
                }
            }
        }
    }
    // MARK: Snapshots

    private func snapshot(tokens: [String], id: String?) {
        let keys = tokens.map(RedisKeys.latestSentiment)
        let future = context.redis.sendFuture(["MGET"] + keys).hop(to: eventLoop)
        future.assumeIsolated().whenComplete { result in
            guard !self.isClosed else { return }
            switch result {
            case .success(let reply):
                var found: [JSONValue] = []
                var missing: [String] = []
                let values = reply.array ?? []
                for (index, token) in tokens.enumerated() {
                    if index < values.count, let bytes = values[index].bytes, let value = try? JSONValue.parse(bytes),
                        value.objectValue != nil
                    {
                        found.append(value)
                    } else {
                        missing.append(token)
                    }
                }
                self.transport?.sendMessage(
                    type: "market_sentiment_snapshot", data: ["sentiments": .array(found), "missing": .strings(missing)],
                    replyTo: id)
            case .failure(let error):
                self.log(.warning, "snapshot failed", ["error": "\(error)"])
                self.sendError(ProtocolError(.serverError, "snapshot unavailable, retry later"), replyTo: id)
            }
        }
    }

    // MARK: Errors

    func sendError(_ error: ProtocolError, type: String = "error", replyTo id: String? = nil) {
        context.metrics.error(error.code)
        transport?.sendError(error, type: type, replyTo: id)
    }
}

/// One subscription kind's delivery state in a ``ClientSession``.
struct KindState {
    /// The last event delivered, or the position the subscription started from.
    var position = EventPosition.zero
    /// Live events at or below this were replayed or known to the client already: skipped.
    var watermark = EventPosition.zero
    /// Where the subscription started (kept for Socket.IO recovery when the client got no event since).
    var subscribedAt = EventPosition.zero
    /// Counts resumes, so a late answer of an abandoned one is ignored.
    var generation: UInt32 = 0
    /// Whether a resume is reading the history now.
    var resuming = false
}
