import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import Testing

@Suite("EventPublisher: ids and history through cd_publish", .serialized)
struct EventPublisherTests {
    @Test("published JSON carries id and room, the history holds it, ids increase, latest is stored")
    func idsAndHistory() async throws {
        try await TestRedis.withServer { _, redis in
            let publisher = EventPublisher(redis: redis, producer: "test")
            let channel = RedisKeys.eventChannel(.whaleActivity)
            var ids: [String] = []
            for n in 0..<3 {
                ids += try await publisher.publish([
                    EventPublisher.Item(channels: [channel], envelope: envelope(.whaleActivity, n), latestKey: "cd:latest:test")
                ])
            }
            let parsed = ids.compactMap(EventID.init)
            #expect(parsed.count == 3)
            #expect(Set(parsed.map(\.epoch)).count == 1)
            #expect(parsed.map(\.position) == parsed.map(\.position).sorted() && Set(parsed.map(\.position)).count == 3)
            let history = try await TestRedis.history(redis, channel)
            #expect(history.map(\.id) == parsed.map(\.position.description))
            for (entry, id) in zip(history, ids) {
                #expect(entry.message["id"]?.stringValue == id)
                #expect(entry.message["room"]?.stringValue == "whale_activity")
                #expect(entry.message["type"]?.stringValue == "whale_activity_alert")
            }
            #expect(try await redis.sendChecked(["GET", "cd:latest:test"]).string == #"{"n":2}"#)
        }
    }

    @Test("an event on two channels has one id in both histories, with each channel's room")
    func twoChannels() async throws {
        try await TestRedis.withServer { _, redis in
            let publisher = EventPublisher(redis: redis, producer: "test")
            let user = RedisKeys.userTaskChannel("alice")
            let all = RedisKeys.eventChannel(.taskUpdates)
            let ids = try await publisher.publish([EventPublisher.Item(channels: [user, all], envelope: envelope(.taskUpdates, 1))])
            let a = try await TestRedis.history(redis, user)
            let b = try await TestRedis.history(redis, all)
            #expect(a.count == 1 && b.count == 1)
            #expect(a.first?.message["id"]?.stringValue == ids.first)
            #expect(b.first?.message["id"]?.stringValue == ids.first)
            #expect(a.first?.message["room"]?.stringValue == "task_updates:user:alice")
            #expect(b.first?.message["room"]?.stringValue == "task_updates")
        }
    }

    @Test("the history is trimmed by count")
    func trimmedByCount() async throws {
        try await TestRedis.withServer { _, redis in
            let policies = HistoryPolicies(overrides: [.budgetAlerts: HistoryPolicy(maxLength: 10, maxAgeMillis: 0)])
            let publisher = EventPublisher(redis: redis, producer: "test", history: policies)
            let channel = RedisKeys.eventChannel(.budgetAlerts)
            for chunk in 0..<6 {
                try await publisher.publish((0..<100).map {
                    EventPublisher.Item(channels: [channel], envelope: envelope(.budgetAlerts, chunk * 100 + $0))
                })
            }
            // MAXLEN ~ trims whole stream nodes (100 entries by default), so a few more may stay.
            let length = try await redis.sendChecked(["XLEN", RedisKeys.historyStream(channel)]).int ?? -1
            #expect(length >= 10 && length <= 110)
            #expect(try await redis.sendChecked(["TTL", RedisKeys.historyStream(channel)]).int == -1)
        }
    }

    @Test("a Redis that lost its script cache still gets the event (NOSCRIPT falls back to EVAL)")
    func noscript() async throws {
        try await TestRedis.withServer { _, redis in
            let publisher = EventPublisher(redis: redis, producer: "test")
            let channel = RedisKeys.eventChannel(.systemHealth)
            try await publisher.publish([EventPublisher.Item(channels: [channel], envelope: envelope(.systemHealth, 1))])
            _ = try await redis.sendChecked(["SCRIPT", "FLUSH"])
            try await publisher.publish([EventPublisher.Item(channels: [channel], envelope: envelope(.systemHealth, 2))])
            #expect(try await TestRedis.history(redis, channel).count == 2)
        }
    }

    @Test("history policies: defaults, HISTORY_MAX_LENGTH for all, per kind wins")
    func policies() {
        let env = ["HISTORY_MAX_LENGTH": "50", "HISTORY_MAX_LENGTH_WHALE_ACTIVITY": "7", "HISTORY_MAX_AGE_MS_SYSTEM_HEALTH": "0"]
        let policies = HistoryPolicies(environment: { env[$0] })
        #expect(policies.policy(for: .whaleActivity) == HistoryPolicy(maxLength: 7, maxAgeMillis: 300_000))
        #expect(policies.policy(for: .budgetAlerts) == HistoryPolicy(maxLength: 50, maxAgeMillis: 300_000))
        #expect(policies.policy(for: .systemHealth) == HistoryPolicy(maxLength: 50, maxAgeMillis: 0))
        #expect(HistoryPolicies().policy(for: .taskUpdates) == HistoryPolicy.defaultPolicy(for: .taskUpdates))
    }
}
