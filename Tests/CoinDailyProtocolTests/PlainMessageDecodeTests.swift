import CoinDailyProtocol
import NIOCore
import Testing

@Suite("PlainMessage.decode: envelope")
struct PlainMessageEnvelopeTests {
    @Test(
        "malformed envelopes are INVALID_MESSAGE_FORMAT with a precise message",
        arguments: [
            (#"{"type":"ping""#, "message is not valid JSON"),
            ("", "message is not valid JSON"),
            (#"[{"type":"ping"}]"#, "message must be a JSON object"),
            (#""ping""#, "message must be a JSON object"),
            (#"{"id":"a"}"#, "field 'type' is missing"),
            (#"{"type":5}"#, "field 'type' must be a string"),
            (#"{"type":null}"#, "field 'type' must be a string"),
            (#"{"type":"dance"}"#, "unknown message type 'dance'"),
            (#"{"type":"ping","data":[1]}"#, "field 'data' must be an object"),
            (#"{"type":"ping","data":"x"}"#, "field 'data' must be an object"),
            (#"{"type":"ping","id":true}"#, "field 'id' must be a string"),
            (#"{"type":"ping","id":{"a":1}}"#, "field 'id' must be a string"),
            (#"{"type":"ping","id":["a"]}"#, "field 'id' must be a string"),
        ])
    func malformed(text: String, message: String) {
        #expect(failure(text) == ProtocolError(.invalidMessageFormat, message))
    }

    @Test("an unknown type longer than 64 characters is cut in the message")
    func unknownTypeTruncated() {
        let type = String(repeating: "x", count: 100)
        #expect(
            failure(#"{"type":"\#(type)"}"#)
                == ProtocolError(.invalidMessageFormat, "unknown message type '\(String(repeating: "x", count: 64))'"))
    }

    @Test("the id is echoed: a string as is, a number as written, with errors too")
    func idEchoed() {
        #expect(decode(#"{"type":"ping","id":"abc"}"#).id == "abc")
        #expect(decode(#"{"type":"ping","id":7}"#).id == "7")
        #expect(decode(#"{"type":"ping","id":1}"#).id == "1")
        #expect(decode(#"{"type":"ping","id":2.5}"#).id == "2.5")
        #expect(decode(#"{"type":"ping","id":null}"#).id == nil)
        #expect(decode(#"{"type":"ping"}"#).id == nil)
        let unknown = decode(#"{"type":"dance","id":"x1"}"#)
        #expect(unknown.id == "x1")
        #expect(unknown.result == .failure(ProtocolError(.invalidMessageFormat, "unknown message type 'dance'")))
        #expect(decode(#"{"id":"x2"}"#).id == "x2")
    }

    @Test("a string id is cut to 128 characters")
    func longIdTruncated() {
        let id = String(repeating: "i", count: 200)
        #expect(decode(#"{"type":"ping","id":"\#(id)"}"#).id == String(repeating: "i", count: 128))
    }

    @Test("ping, with or without null data")
    func ping() {
        #expect(request(#"{"type":"ping"}"#) == .ping)
        #expect(request(#"{"type":"ping","data":null}"#) == .ping)
        #expect(request(#"{"type":"ping","data":{}}"#) == .ping)
    }

    @Test("auth takes the top-level token or data.token (data wins); authenticate is an alias")
    func auth() {
        #expect(request(#"{"type":"auth","token":"abc.def.ghi"}"#) == .auth(token: "abc.def.ghi"))
        #expect(request(#"{"type":"auth","data":{"token":"x.y.z"}}"#) == .auth(token: "x.y.z"))
        #expect(request(#"{"type":"authenticate","data":{"token":"x.y.z"}}"#) == .auth(token: "x.y.z"))
        #expect(request(#"{"type":"auth","token":"top","data":{"token":"inner"}}"#) == .auth(token: "inner"))
    }

    @Test("auth without a usable token decodes to a nil token")
    func authWithoutToken() {
        #expect(request(#"{"type":"auth"}"#) == .auth(token: nil))
        #expect(request(#"{"type":"auth","token":""}"#) == .auth(token: nil))
        #expect(request(#"{"type":"auth","token":42}"#) == .auth(token: nil))
        #expect(request(#"{"type":"auth","data":{"token":null}}"#) == .auth(token: nil))
    }
}

@Suite("PlainMessage.decode: subscriptions")
struct PlainMessageSubscriptionTests {
    @Test("market sentiment: symbols upper-cased, duplicates removed, order kept")
    func marketSentiment() {
        #expect(
            request(#"{"type":"subscribe_market_sentiment","data":{"tokens":["eth","BTC","Eth","sol","btc"]}}"#)
                == .subscribe(.marketSentiment, SubscriptionRequest(tokens: ["ETH", "BTC", "SOL"])))
    }

    @Test("whale activity: tokens and minAmount, each optional")
    func whaleActivity() {
        #expect(
            request(#"{"type":"subscribe_whale_activity","data":{"tokens":["btc"],"minAmount":1000000}}"#)
                == .subscribe(.whaleActivity, SubscriptionRequest(tokens: ["BTC"], minAmount: 1_000_000)))
        #expect(
            request(#"{"type":"subscribe_whale_activity","data":{"minAmount":0.5}}"#)
                == .subscribe(.whaleActivity, SubscriptionRequest(minAmount: 0.5)))
        #expect(request(#"{"type":"subscribe_whale_activity"}"#) == .subscribe(.whaleActivity, SubscriptionRequest()))
        #expect(
            request(#"{"type":"subscribe_whale_activity","data":{"tokens":null,"minAmount":null}}"#)
                == .subscribe(.whaleActivity, SubscriptionRequest()))
    }

    @Test("task, pipeline and budget take one id each")
    func identifiers() {
        #expect(
            request(#"{"type":"subscribe_task_updates","data":{"taskId":"task-1"}}"#)
                == .subscribe(.taskUpdates, SubscriptionRequest(taskId: "task-1")))
        #expect(request(#"{"type":"subscribe_task_updates"}"#) == .subscribe(.taskUpdates, SubscriptionRequest()))
        #expect(
            request(#"{"type":"subscribe_pipeline_updates","data":{"pipelineId":"p-9"}}"#)
                == .subscribe(.pipelineUpdates, SubscriptionRequest(pipelineId: "p-9")))
        #expect(
            request(#"{"type":"subscribe_budget_alerts","data":{"agentId":"agent-7"}}"#)
                == .subscribe(.budgetAlerts, SubscriptionRequest(agentId: "agent-7")))
    }

    @Test("moderation queue: severity, case-insensitive")
    func moderation() {
        #expect(
            request(#"{"type":"subscribe_moderation_queue","data":{"severity":"HIGH"}}"#)
                == .subscribe(.moderationQueue, SubscriptionRequest(severity: .high)))
        #expect(
            request(#"{"type":"subscribe_moderation_queue","data":{"severity":"low"}}"#)
                == .subscribe(.moderationQueue, SubscriptionRequest(severity: .low)))
        #expect(request(#"{"type":"subscribe_moderation_queue"}"#) == .subscribe(.moderationQueue, SubscriptionRequest()))
    }

    @Test("system health takes no parameters")
    func systemHealth() {
        #expect(request(#"{"type":"subscribe_system_health"}"#) == .subscribe(.systemHealth, SubscriptionRequest()))
        #expect(
            request(#"{"type":"subscribe_system_health","data":{"anything":1}}"#)
                == .subscribe(.systemHealth, SubscriptionRequest()))
    }

    @Test("trending memecoins: timeframes de-duplicated in order")
    func trending() {
        #expect(
            request(#"{"type":"subscribe_trending_memecoins","data":{"timeframes":["24h","1h","24h","7d"]}}"#)
                == .subscribe(.trendingMemecoins, SubscriptionRequest(timeframes: ["24h", "1h", "7d"])))
        #expect(
            request(#"{"type":"subscribe_trending_memecoins"}"#) == .subscribe(.trendingMemecoins, SubscriptionRequest()))
    }

    @Test(
        "bad subscription parameters are SUBSCRIPTION_FAILED with a precise message",
        arguments: [
            (
                #"{"type":"subscribe_market_sentiment"}"#,
                "subscribe_market_sentiment needs data.tokens, a non-empty array of token symbols"
            ),
            (#"{"type":"subscribe_market_sentiment","data":{"tokens":[]}}"#, "tokens must not be empty"),
            (#"{"type":"subscribe_market_sentiment","data":{"tokens":"BTC"}}"#, "tokens must be an array of token symbols"),
            (#"{"type":"subscribe_market_sentiment","data":{"tokens":["BTC",1]}}"#, "tokens must be an array of token symbols"),
            (#"{"type":"subscribe_market_sentiment","data":{"tokens":["NOPECOIN"]}}"#, "Invalid token symbol 'NOPECOIN'"),
            (#"{"type":"subscribe_market_sentiment","data":{"tokens":["BT-C"]}}"#, "Invalid token symbol 'BT-C'"),
            (#"{"type":"subscribe_market_sentiment","data":{"tokens":[""]}}"#, "Invalid token symbol ''"),
            (#"{"type":"subscribe_whale_activity","data":{"tokens":[]}}"#, "tokens must not be empty"),
            (#"{"type":"subscribe_whale_activity","data":{"minAmount":-1}}"#, "minAmount must not be negative"),
            (#"{"type":"subscribe_whale_activity","data":{"minAmount":"100"}}"#, "minAmount must be a number"),
            (#"{"type":"subscribe_whale_activity","data":{"minAmount":true}}"#, "minAmount must be a number"),
            (
                #"{"type":"subscribe_moderation_queue","data":{"severity":"urgent"}}"#,
                "severity must be one of low, medium, high, critical"
            ),
            (
                #"{"type":"subscribe_moderation_queue","data":{"severity":3}}"#,
                "severity must be one of low, medium, high, critical"
            ),
            (
                #"{"type":"subscribe_trending_memecoins","data":{"timeframes":[]}}"#,
                "timeframes must be a non-empty array of 1h, 4h, 24h, 7d"
            ),
            (
                #"{"type":"subscribe_trending_memecoins","data":{"timeframes":["1h","2h"]}}"#,
                "timeframes must be a non-empty array of 1h, 4h, 24h, 7d"
            ),
            (
                #"{"type":"subscribe_trending_memecoins","data":{"timeframes":"1h"}}"#,
                "timeframes must be a non-empty array of 1h, 4h, 24h, 7d"
            ),
            (
                #"{"type":"subscribe_task_updates","data":{"taskId":""}}"#,
                "taskId must be a non-empty string of at most 128 characters"
            ),
            (
                #"{"type":"subscribe_task_updates","data":{"taskId":12}}"#,
                "taskId must be a non-empty string of at most 128 characters"
            ),
            (
                #"{"type":"subscribe_task_updates","data":{"taskId":"a\u0007b"}}"#,
                "taskId must be a non-empty string of at most 128 characters"
            ),
            (
                #"{"type":"subscribe_pipeline_updates","data":{"pipelineId":""}}"#,
                "pipelineId must be a non-empty string of at most 128 characters"
            ),
            (
                #"{"type":"subscribe_budget_alerts","data":{"agentId":""}}"#,
                "agentId must be a non-empty string of at most 128 characters"
            ),
        ])
    func badParameters(text: String, message: String) {
        #expect(failure(text) == ProtocolError(.subscriptionFailed, message))
    }

    @Test("the isKnownToken closure decides which normalized symbols are accepted")
    func knownTokenClosure() {
        var asked: [String] = []
        let result = PlainMessage.decode(
            ByteBuffer(string: #"{"type":"subscribe_market_sentiment","data":{"tokens":["abc","xyz"]}}"#)
        ) { symbol in
            asked.append(symbol)
            return symbol == "ABC"
        }.result
        #expect(result == .failure(ProtocolError(.subscriptionFailed, "Invalid token symbol 'xyz'")))
        #expect(asked == ["ABC", "XYZ"])
        let accepted = decode(#"{"type":"subscribe_market_sentiment","data":{"tokens":["abc"]}}"#) { $0 == "ABC" }
        #expect(accepted.result == .success(.subscribe(.marketSentiment, SubscriptionRequest(tokens: ["ABC"]))))
    }

    @Test("more tokens than maxTokensPerRequest are refused; exactly the limit is fine")
    func tooManyTokens() {
        let limits = ClientRequestLimits(maxTokensPerRequest: 2)
        #expect(
            failure(#"{"type":"subscribe_market_sentiment","data":{"tokens":["BTC","ETH","SOL"]}}"#, limits: limits)
                == ProtocolError(.subscriptionFailed, "at most 2 tokens per request", limit: "tokens_per_request"))
        #expect(
            request(#"{"type":"subscribe_market_sentiment","data":{"tokens":["BTC","ETH"]}}"#, limits: limits)
                == .subscribe(.marketSentiment, SubscriptionRequest(tokens: ["BTC", "ETH"])))
    }

    @Test("ids longer than maxIdLength are refused; exactly the limit is fine")
    func idTooLong() {
        let limits = ClientRequestLimits(maxIdLength: 4)
        #expect(
            failure(#"{"type":"subscribe_task_updates","data":{"taskId":"abcde"}}"#, limits: limits)
                == ProtocolError(.subscriptionFailed, "taskId must be a non-empty string of at most 4 characters"))
        #expect(
            request(#"{"type":"subscribe_task_updates","data":{"taskId":"abcd"}}"#, limits: limits)
                == .subscribe(.taskUpdates, SubscriptionRequest(taskId: "abcd")))
    }

    @Test("unsubscribe without data, null data or empty data removes the whole kind")
    func unsubscribeAll() {
        #expect(request(#"{"type":"unsubscribe_market_sentiment"}"#) == .unsubscribe(.marketSentiment, nil))
        #expect(request(#"{"type":"unsubscribe_market_sentiment","data":null}"#) == .unsubscribe(.marketSentiment, nil))
        #expect(request(#"{"type":"unsubscribe_whale_activity","data":{}}"#) == .unsubscribe(.whaleActivity, nil))
        #expect(request(#"{"type":"unsubscribe_system_health"}"#) == .unsubscribe(.systemHealth, nil))
    }

    @Test("unsubscribe with parameters parses them like subscribe")
    func unsubscribeSome() {
        #expect(
            request(#"{"type":"unsubscribe_market_sentiment","data":{"tokens":["btc","BTC"]}}"#)
                == .unsubscribe(.marketSentiment, SubscriptionRequest(tokens: ["BTC"])))
        #expect(
            failure(#"{"type":"unsubscribe_market_sentiment","data":{"tokens":[]}}"#)
                == ProtocolError(.subscriptionFailed, "tokens must not be empty"))
    }

    @Test("get_market_sentiment: tokens normalized; missing or bad tokens are INVALID_MESSAGE_FORMAT")
    func getMarketSentiment() {
        #expect(
            request(#"{"type":"get_market_sentiment","data":{"tokens":["btc","ETH","btc"]}}"#)
                == .getMarketSentiment(tokens: ["BTC", "ETH"]))
        #expect(
            failure(#"{"type":"get_market_sentiment"}"#)
                == ProtocolError(.invalidMessageFormat, "get_market_sentiment needs data.tokens, an array of token symbols"))
        #expect(
            failure(#"{"type":"get_market_sentiment","data":{}}"#)
                == ProtocolError(.invalidMessageFormat, "get_market_sentiment needs data.tokens, an array of token symbols"))
        #expect(
            failure(#"{"type":"get_market_sentiment","data":{"tokens":[]}}"#)
                == ProtocolError(.invalidMessageFormat, "tokens must not be empty"))
        #expect(
            failure(#"{"type":"get_market_sentiment","data":{"tokens":["NOPECOIN"]}}"#)
                == ProtocolError(.invalidMessageFormat, "Invalid token symbol 'NOPECOIN'"))
    }
}

@Suite("TokenSymbol")
struct TokenSymbolTests {
    @Test(
        "normalize upper-cases 1–15 ASCII letters and digits and refuses anything else",
        arguments: [
            ("btc", "BTC"), ("Pepe", "PEPE"), ("1INCH", "1INCH"), ("ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNO"),
            ("ABCDEFGHIJKLMNOP", nil), ("", nil), ("BT C", nil), ("BTC-USD", nil), ("$WIF", nil), ("é", nil),
        ] as [(String, String?)])
    func normalize(raw: String, expected: String?) {
        #expect(TokenSymbol.normalize(raw) == expected)
    }
}

@Test("non-ASCII symbols are refused rather than upper-cased into ASCII")
func nonASCIISymbolsRefused() {
    #expect(TokenSymbol.normalize("ß") == nil)
    #expect(TokenSymbol.normalize("\u{FB01}l") == nil)
    #expect(TokenSymbol.normalize("btc") == "BTC")
}

@Test("unsubscribe_market_sentiment with data but no tokens removes all of them")
func unsubscribeWithoutTokens() throws {
    let decoded = PlainMessage.decode(
        ByteBuffer(string: #"{"type":"unsubscribe_market_sentiment","data":{"x":1}}"#), isKnownToken: { _ in true })
    let request = try decoded.result.get()
    #expect(request == .unsubscribe(.marketSentiment, SubscriptionRequest()))
}
