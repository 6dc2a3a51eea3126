import CoinDailyProtocol
import Testing

@Suite("ChannelKind and ChannelRouting")
struct ChannelRoutingTests {
    @Test(
        "isAllowed follows the contract's role table",
        arguments: [
            (ChannelKind.marketSentiment, ["user"], true), (.marketSentiment, [], true),
            (.whaleActivity, ["user"], true), (.trendingMemecoins, ["user"], true), (.taskUpdates, ["user"], true),
            (.pipelineUpdates, ["user"], false), (.pipelineUpdates, ["editor"], true),
            (.pipelineUpdates, ["admin"], true), (.pipelineUpdates, ["moderator"], false),
            (.budgetAlerts, ["user", "editor", "moderator"], false), (.budgetAlerts, ["admin"], true),
            (.moderationQueue, ["user", "editor"], false), (.moderationQueue, ["moderator"], true),
            (.moderationQueue, ["admin"], true),
            (.systemHealth, ["user", "editor", "moderator"], false), (.systemHealth, ["admin"], true),
            (.systemHealth, ["ADMIN", "superuser"], false),
        ] as [(ChannelKind, [String], Bool)])
    func isAllowed(kind: ChannelKind, roles: [String], allowed: Bool) {
        #expect(kind.isAllowed(for: Set(roles)) == allowed)
    }

    @Test("event names of every kind")
    func eventNames() {
        #expect(ChannelKind.allCases.map(\.subscribeEvent) == [
            "subscribe_market_sentiment", "subscribe_whale_activity", "subscribe_task_updates",
            "subscribe_pipeline_updates", "subscribe_budget_alerts", "subscribe_moderation_queue",
            "subscribe_system_health", "subscribe_trending_memecoins",
        ])
        #expect(ChannelKind.allCases.map(\.updateEvent) == [
            "market_sentiment_update", "whale_activity_alert", "task_status_update", "pipeline_progress_update",
            "budget_alert", "moderation_queue_update", "system_health_update", "trending_memecoins_update",
        ])
        #expect(ChannelKind(unsubscribeEvent: "unsubscribe_budget_alerts") == .budgetAlerts)
        #expect(ChannelKind(updateEvent: "whale_activity_alert") == .whaleActivity)
        #expect(ChannelKind(subscribeEvent: "subscribe_nothing") == nil)
    }

    @Test("market sentiment: one channel per token")
    func marketSentiment() {
        let filter = SubscriptionFilter(kind: .marketSentiment, request: .init(tokens: ["BTC", "ETH"]))
        #expect(
            ChannelRouting.redisChannels(for: filter, userId: "alice", roles: ["user"])
                == ["cd:ev:market_sentiment:BTC", "cd:ev:market_sentiment:ETH"])
    }

    @Test("task updates: a user's own channel, the all-channel for an admin")
    func taskUpdates() {
        let filter = SubscriptionFilter(kind: .taskUpdates, request: .init(taskId: "t-1"))
        #expect(
            ChannelRouting.redisChannels(for: filter, userId: "alice", roles: ["user"])
                == ["cd:ev:task_updates:user:alice"])
        #expect(
            ChannelRouting.redisChannels(for: filter, userId: "alice", roles: ["user", "admin"]) == ["cd:ev:task_updates"])
    }

    @Test("every other kind: its one event channel")
    func otherKinds() {
        for kind in [ChannelKind.whaleActivity, .pipelineUpdates, .budgetAlerts, .moderationQueue, .systemHealth, .trendingMemecoins] {
            let filter = SubscriptionFilter(kind: kind, request: .init())
            #expect(
                ChannelRouting.redisChannels(for: filter, userId: "bob", roles: ["admin"]) == ["cd:ev:\(kind.rawValue)"])
        }
    }

    @Test("Redis key names")
    func redisKeys() {
        #expect(RedisKeys.sentimentChannel("BTC") == "cd:ev:market_sentiment:BTC")
        #expect(RedisKeys.userTaskChannel("alice") == "cd:ev:task_updates:user:alice")
        #expect(RedisKeys.eventChannel(.systemHealth) == "cd:ev:system_health")
        #expect(RedisKeys.latestSentiment("ETH") == "cd:latest:market_sentiment:ETH")
        #expect(RedisKeys.ingestStream("whale") == "cd:ingest:whale")
        #expect(RedisKeys.deadLetterStream("whale") == "cd:ingest:whale:dead")
        #expect(RedisKeys.heartbeat(service: "gateway", instance: "h-1") == "cd:heartbeat:gateway:h-1")
    }
}
