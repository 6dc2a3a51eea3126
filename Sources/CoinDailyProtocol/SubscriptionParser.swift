/// Validates subscription parameters per ``ChannelKind``.
enum SubscriptionParser {
    static func parse(
        _ kind: ChannelKind, data: JSONValue?, limits: ClientRequestLimits,
        isKnownToken: (String) -> Bool, isUnsubscribe: Bool = false
    ) throws(ProtocolError) -> SubscriptionRequest {
        var request = SubscriptionRequest()
        switch kind {
        case .marketSentiment:
            if isUnsubscribe, data?["tokens"] == nil || data?["tokens"] == .null {
                break  // no tokens named: unsubscribe from all of them
            }
            guard let value = data?["tokens"] else {
                throw .subscription("\(kind.subscribeEvent) needs data.tokens, a non-empty array of token symbols")
            }
            request.tokens = try tokens(value, limits: limits, isKnownToken: isKnownToken, code: .subscriptionFailed)
        case .whaleActivity:
            if let value = data?["tokens"], !value.isNull {
                request.tokens = try tokens(
                    value, limits: limits, isKnownToken: isKnownToken, code: .subscriptionFailed)
            }
            if let value = data?["minAmount"], !value.isNull {
                guard let amount = value.numberValue, amount.isFinite else {
                    throw .subscription("minAmount must be a number")
                }
                guard amount >= 0 else { throw .subscription("minAmount must not be negative") }
                request.minAmount = amount
            }
        case .taskUpdates:
            request.taskId = try identifier("taskId", data, limits)
        case .pipelineUpdates:
            request.pipelineId = try identifier("pipelineId", data, limits)
        case .budgetAlerts:
            request.agentId = try identifier("agentId", data, limits)
        case .moderationQueue:
            if let value = data?["severity"], !value.isNull {
                guard let s = value.stringValue, let severity = Severity(rawValue: s.lowercased()) else {
                    throw .subscription("severity must be one of low, medium, high, critical")
                }
                request.severity = severity
            }
        case .systemHealth:
            break
        case .trendingMemecoins:
            if let value = data?["timeframes"], !value.isNull {
                guard let array = value.arrayValue, !array.isEmpty else {
                    throw .subscription("timeframes must be a non-empty array of 1h, 4h, 24h, 7d")
                }
                var seen: [String] = []
                for element in array {
                    guard let tf = element.stringValue, SubscriptionRequest.allTimeframes.contains(tf) else {
                        throw .subscription("timeframes must be a non-empty array of 1h, 4h, 24h, 7d")
                    }
                    if !seen.contains(tf) { seen.append(tf) }
                }
                request.timeframes = seen
            }
        }
        if !isUnsubscribe, let value = data?["since"], !value.isNull {
            guard let text = value.stringValue, let id = EventID(text) else {
                throw .subscription("since must be the id of an event received before, e.g. \"k3f9a1:1764230000000-42\"")
            }
            request.since = id
        }
        return request
    }

    static func identifier(
        _ field: String, _ data: JSONValue?, _ limits: ClientRequestLimits
    ) throws(ProtocolError) -> String? {
        guard let value = data?[field], !value.isNull else { return nil }
        guard let s = value.stringValue, !s.isEmpty, s.count <= limits.maxIdLength,
            !s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw .subscription("\(field) must be a non-empty string of at most \(limits.maxIdLength) characters")
        }
        return s
    }

    static func tokens(
        _ value: JSONValue, limits: ClientRequestLimits, isKnownToken: (String) -> Bool, code: ErrorCode
    ) throws(ProtocolError) -> [String] {
        guard let array = value.arrayValue else {
            throw ProtocolError(code, "tokens must be an array of token symbols")
        }
        guard !array.isEmpty else { throw ProtocolError(code, "tokens must not be empty") }
        guard array.count <= limits.maxTokensPerRequest else {
            throw ProtocolError(code, "at most \(limits.maxTokensPerRequest) tokens per request", limit: "tokens_per_request")
        }
        var result: [String] = []
        result.reserveCapacity(array.count)
        for element in array {
            guard let raw = element.stringValue else {
                throw ProtocolError(code, "tokens must be an array of token symbols")
            }
            guard let symbol = TokenSymbol.normalize(raw), isKnownToken(symbol) else {
                throw ProtocolError(code, "Invalid token symbol '\(raw.prefix(32))'")
            }
            if !result.contains(symbol) { result.append(symbol) }
        }
        return result
    }
}
