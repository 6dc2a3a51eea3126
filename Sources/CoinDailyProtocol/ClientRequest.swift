/// One decoded client event, independent of the wire format (plain JSON frame or Socket.IO event).
public enum ClientRequest: Equatable, Sendable {
    /// `auth` / `authenticate`, with the token if one was given.
    case auth(token: String?)
    /// `subscribe_<kind>`.
    case subscribe(ChannelKind, SubscriptionRequest)
    /// `unsubscribe_<kind>`; `nil` parameters remove every subscription of that kind.
    case unsubscribe(ChannelKind, SubscriptionRequest?)
    /// `get_market_sentiment`: a snapshot of the latest sentiment of these tokens.
    case getMarketSentiment(tokens: [String])
    /// `ping`: answered by `pong`.
    case ping
}

/// Limits applied while decoding client events.
public struct ClientRequestLimits: Sendable, Equatable {
    /// Most token symbols in one subscription or snapshot request.
    public var maxTokensPerRequest: Int
    /// Longest id (`taskId`, `pipelineId`, `agentId`) in characters.
    public var maxIdLength: Int

    /// Creates limits; defaults: 100 tokens per request, ids up to 128 characters.
    public init(maxTokensPerRequest: Int = 100, maxIdLength: Int = 128) {
        self.maxTokensPerRequest = maxTokensPerRequest
        self.maxIdLength = maxIdLength
    }
}

extension ClientRequest {
    /// Decodes an event named `type` with payload `data` (`nil` when absent or `null`).
    ///
    /// - Parameters:
    ///   - type: the event name.
    ///   - data: the event payload.
    ///   - topLevelToken: a `token` given beside `type` instead of inside `data` (plain protocol `auth`).
    ///   - limits: the decoding limits.
    ///   - isKnownToken: whether a normalized symbol is one the gateway knows.
    /// - Throws: ``ProtocolError`` with `INVALID_MESSAGE_FORMAT` (unknown event, `data` not an object)
    ///   or `SUBSCRIPTION_FAILED` (bad subscription parameters).
    public static func decode(
        type: String, data: JSONValue?, topLevelToken: JSONValue? = nil,
        limits: ClientRequestLimits = .init(), isKnownToken: (String) -> Bool
    ) throws(ProtocolError) -> ClientRequest {
        let data: JSONValue? = (data?.isNull ?? true) ? nil : data
        if let data, data.objectValue == nil {
            throw .invalidFormat("field 'data' must be an object")
        }
        switch type {
        case "auth", "authenticate":
            let token = data?["token"] ?? topLevelToken
            switch token {
            case .string(let t)? where !t.isEmpty: return .auth(token: t)
            case nil, .null?: return .auth(token: nil)
            default: return .auth(token: nil)
            }
        case "ping":
            return .ping
        case "get_market_sentiment":
            guard let tokensValue = data?["tokens"] else {
                throw .invalidFormat("get_market_sentiment needs data.tokens, an array of token symbols")
            }
            let tokens = try SubscriptionParser.tokens(
                tokensValue, limits: limits, isKnownToken: isKnownToken, code: .invalidMessageFormat)
            return .getMarketSentiment(tokens: tokens)
        default:
            if let kind = ChannelKind(subscribeEvent: type) {
                return .subscribe(
                    kind, try SubscriptionParser.parse(kind, data: data, limits: limits, isKnownToken: isKnownToken))
            }
            if let kind = ChannelKind(unsubscribeEvent: type) {
                guard let data, !(data.objectValue?.isEmpty ?? true) else { return .unsubscribe(kind, nil) }
                return .unsubscribe(
                    kind,
                    try SubscriptionParser.parse(
                        kind, data: data, limits: limits, isKnownToken: isKnownToken, isUnsubscribe: true))
            }
            throw .invalidFormat("unknown message type '\(type.prefix(64))'")
        }
    }
}
