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
    /// The remote address, kept for log lines (metadata is built only when something is logged,
    /// so an idle connection carries no per-connection logger state).
    private let remote: String

    private(set) var identity: VerifiedIdentity?
    private var filters: [ChannelKind: SubscriptionFilter] = [:] {
        didSet { filterSlots = filters.isEmpty ? [] : ChannelKind.allCases.map { filters[$0] } }
    }
    /// ``filters`` by ``ChannelKind/index``: the fan-out path reads this array, not the dictionary.
    /// Empty until the first subscription, so idle connections allocate nothing for it.
    private var filterSlots: [SubscriptionFilter?] = []
    private var kindChannels: [ChannelKind: Set<String>] = [:]
    private var authInFlight = false
    private var queued: Deque<(id: String?, result: Result<ClientRequest, ProtocolError>)> = []
    private var authDeadline: NIODeadline
    private var lastInbound: NIODeadline
    private var nextPing: NIODeadline
    private(set) var isClosed = false

    /// Set by the hub while the session waits for its end-of-batch flush.
    var isDirty = false

    /// Whether this session has authenticated.
    var isAuthenticated: Bool { identity != nil }

    init(connectionID: UInt64, context: GatewayContext, hub: LoopHub, transport: any SessionTransport, remote: String) {
        self.connectionID = connectionID
        self.context = context
        self.hub = hub
        self.eventLoop = hub.eventLoop
        self.transport = transport
        self.remote = remote
        let now = NIODeadline.now()
        self.authDeadline = now + .milliseconds(context.configuration.authTimeout.milliseconds)
        self.lastInbound = now
        self.nextPing = now + .milliseconds(context.configuration.pingInterval.milliseconds)
    }

    /// Logs `message` with this connection's metadata (`connection.id`, `connection.remote`, `user.id`).
    private func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, _ extra: Logger.Metadata = [:]) {
        let logger = context.logger
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = ["connection.id": "\(connectionID)", "connection.remote": "\(remote)"]
        if let identity { metadata["user.id"] = "\(identity.userId)" }
        metadata.merge(extra) { _, new in new }
        logger.log(level: level, message(), metadata: metadata)
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
            log(.info, "closing: authentication timeout")
            close(code: CloseCode.policyViolation, reason: "authentication timeout")
            return
        }
        if let identity, context.clock() >= identity.expiresAtMillis {
            sendError(ProtocolError(.authFailed, "token expired: reconnect with a fresh token"), type: "error")
            log(.info, "closing: token expired")
            close(code: CloseCode.policyViolation, reason: "token expired")
            return
        }
        if now - lastInbound >= .milliseconds(context.configuration.idleTimeout.milliseconds) {
            log(.info, "closing: idle timeout")
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
        transport?.writeEvent(event) ?? false
    }

    func flush() { transport?.flush() }

    // MARK: Requests

    /// Handles one decoded client message, in arrival order (messages that arrive while an `auth` is
    /// being verified wait for it).
    func receive(id: String?, result: Result<ClientRequest, ProtocolError>) {
        guard !isClosed else { return }
        context.metrics.messagesIn.increment()
        if authInFlight {
            guard queued.count < context.configuration.maxPendingMessagesDuringAuth else {
                sendError(ProtocolError(.rateLimitExceeded, "too many messages while authenticating"), replyTo: id)
                return
            }
            queued.append((id, result))
            return
        }
        handle(id: id, result: result)
    }

    private func handle(id: String?, result: Result<ClientRequest, ProtocolError>) {
        let request: ClientRequest
        switch result {
        case .failure(let error):
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
            context.metrics.authFailure.increment()
            context.metrics.error(.authFailed)
            transport?.authFailed(ProtocolError(.authFailed, "Authentication failed: no token given"), replyTo: id)
            return
        }
        authInFlight = true
        let verifier = context.verifier
        let promise = eventLoop.makePromise(of: VerifiedIdentity.self)
        promise.completeWithTask { try await verifier.verify(token) }
        promise.futureResult.whenComplete { result in
            self.authInFlight = false
            guard !self.isClosed else { return }
            switch result {
            case .success(let verified):
                self.authenticated(verified, id: id)
            case .failure(let error):
                let failure = (error as? AuthFailure) ?? .malformed
                self.context.metrics.authFailure.increment()
                self.log(.info, "authentication failed", ["reason": "\(failure)"])
                self.context.metrics.error(.authFailed)
                self.transport?.authFailed(ProtocolError(.authFailed, failure.description), replyTo: id)
            }
            self.drainQueue()
        }
    }

    private func authenticated(_ verified: VerifiedIdentity, id: String?) {
        if let current = identity, current.userId != verified.userId {
            context.metrics.authFailure.increment()
            context.metrics.error(.authFailed)
            transport?.authFailed(
                ProtocolError(.authFailed, "Authentication failed: token belongs to another user than this connection"),
                replyTo: id)
            return
        }
        let rolesChanged = identity.map { $0.roles != verified.roles } ?? false
        identity = verified
        context.metrics.authSuccess.increment()
        log(.debug, "authenticated")
        if rolesChanged { revalidateSubscriptions(identity: verified) }
        transport?.authSucceeded(verified, replyTo: id)
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
            log(.info, "forbidden subscription", ["channel": "\(kind.rawValue)"])
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
            sendError(
                .subscription(
                    "too many subscriptions: at most \(context.configuration.maxChannelsPerConnection) channels per connection"),
                replyTo: id)
            return
        }
        if filters[kind] == nil { context.metrics.subscriptions.increment() }
        filters[kind] = filter
        apply(kind, wanted: wanted)
        transport?.sendMessage(type: "subscription_confirmed", data: parameters.confirmationData(for: kind), replyTo: id)
        sendSnapshot(kind, parameters)
    }

    /// After subscribing to system health or trending, the latest value(s) are sent at once as ordinary
    /// update events (`system_health_update`, one `trending_memecoins_update` per requested timeframe), so
    /// a client does not wait up to 30 s or 5 min for its first data. Nothing is sent when there is none
    /// yet or Redis is unreachable (the next live update comes anyway).
    private func sendSnapshot(_ kind: ChannelKind, _ parameters: SubscriptionRequest) {
        let keys: [String]
        switch kind {
        case .systemHealth: keys = [RedisKeys.latestSystemHealth]
        case .trendingMemecoins: keys = (parameters.timeframes ?? SubscriptionRequest.allTimeframes).map(RedisKeys.latestTrending)
        default: return
        }
        context.redis.sendFuture(["MGET"] + keys).hop(to: eventLoop).whenSuccess { reply in
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
    }

    private func removeKind(_ kind: ChannelKind) {
        guard filters.removeValue(forKey: kind) != nil else { return }
        context.metrics.subscriptions.decrement()
        apply(kind, wanted: [])
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

    // MARK: Snapshots

    private func snapshot(tokens: [String], id: String?) {
        let keys = tokens.map(RedisKeys.latestSentiment)
        let future = context.redis.sendFuture(["MGET"] + keys).hop(to: eventLoop)
        future.whenComplete { result in
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
