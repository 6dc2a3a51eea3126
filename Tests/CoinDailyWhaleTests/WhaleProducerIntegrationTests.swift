import CoinDailyTestSupport
import CoinDailyProducer
import CoinDailyProtocol
import CoinDailyRedis
import Logging
import NIOCore
import Testing

@testable import CoinDailyWhale

/// The producer against a real `redis-server`: publication, idempotency (redelivery, restart, concurrent
/// instances), state that survives a restart, all-or-nothing rejection, and Redis outages.
@Suite("Whale producer with Redis", .timeLimit(.minutes(1)), .serialized)
struct WhaleProducerIntegrationTests {
    static let binance = "0xb1a0000000000000000000000000000000000001"
    static let wallet = "0x3333333333333333333333333333333333333333"

    /// A server, a producer client and a listener; everything is stopped afterwards.
    func withStack(_ body: (RedisServerProcess, RedisClient, AlertListener) async throws -> Void) async throws {
        let server = try RedisServerProcess()
        try await server.start()
        defer { server.kill() }
        let redis = TestRedis.client(port: server.port, "producer")
        let listener = AlertListener(port: server.port)
        do {
            try await listener.start()
            try await body(server, redis, listener)
        } catch {
            await listener.stop()
            await redis.shutdown()
            throw error
        }
        await listener.stop()
        await redis.shutdown()
    }

    func producer(_ redis: RedisClient, _ configuration: WhaleConfiguration = WhaleConfiguration()) -> WhaleProducer {
        WhaleProducer(configuration: configuration, addressBook: .builtIn, redis: redis, logger: TestRedis.logger("whale"))
    }

    func ingest(_ producer: WhaleProducer, _ value: JSONValue) async -> Result<Int, IngestError> {
        do throws(IngestError) {
            return .success(try await producer.ingest(body(value)))
        } catch {
            return .failure(error)
        }
    }

    @Test("a transfer above the floor is published once on cd:ev:whale_activity with the spec's fields; tokens announced")
    func publishes() async throws {
        try await withStack { _, redis, listener in
            let whale = producer(redis)
            let now = nowMillis()
            let tx = "0xAB" + String(repeating: "1", count: 62)
            let result = await ingest(whale, transferJSON(token: "pepe", amount: 2e10, from: Self.binance, to: Self.wallet, txHash: tx, priceUSD: 0.00001, timestamp: now - 1000))
            #expect(result == .success(1))
            try await listener.sync("after")
            let alerts = listener.alerts
            try #require(alerts.count == 1)
            let envelope = alerts[0]
            #expect(envelope["type"] == "whale_activity_alert")
            #expect(envelope["timestamp"]?.numberValue.map { abs(Int64($0) - now) < 10_000 } == true)
            #expect(envelope["data"] == [
                "token": "PEPE", "type": "buy", "amount": 2e10, "amountUSD": 200_000, "from": .string(Self.binance),
                "to": .string(Self.wallet), "txHash": .string(tx.lowercased()), "exchange": "Binance", "impact": "low",
                "timestamp": .int(now - 1000),
            ])
            #expect(try await redis.smembers(RedisKeys.knownTokens).contains("PEPE"))
            let ttl = try await redis.sendChecked(["TTL", WhaleKeys.seen(tx.lowercased())]).int ?? -1
            #expect(ttl > 6 * 86_400 && ttl <= 7 * 86_400, "the marker lives 7 days")
        }
    }

    @Test("the same txHash never alerts twice: redelivery, a duplicate inside a batch, another case of a 0x hash")
    func idempotent() async throws {
        try await withStack { _, redis, listener in
            let whale = producer(redis)
            let now = nowMillis()
            let first = transferJSON(amount: 1e6, txHash: "0xaaa1", priceUSD: 1, timestamp: now)
            #expect(await ingest(whale, first) == .success(1))
            #expect(await ingest(whale, first) == .success(1), "a redelivered entry is accepted again ...")
            #expect(await ingest(whale, transferJSON(amount: 5e6, txHash: "0xAAA1", priceUSD: 1, timestamp: now)) == .success(1))
            let batch: JSONValue = [
                transferJSON(amount: 2e6, txHash: "0xbbb2", priceUSD: 1, timestamp: now),
                transferJSON(amount: 3e6, txHash: "0xbbb2", priceUSD: 1, timestamp: now),
            ]
            let outcome = try await whale.apply(WhaleInput.parseBatch(body(batch), now: now), now: now)
            #expect(outcome.published.map(\.amountUSD) == [2e6])
            #expect(outcome.duplicates.map(\.amountUSD) == [3e6])
            try await listener.sync("end")
            #expect(listener.alerts.compactMap { $0["data"]?["txHash"]?.stringValue } == ["0xaaa1", "0xbbb2"], "... but publishes nothing")
        }
    }

    @Test("two producer instances racing on the same hash publish it once")
    func concurrentInstances() async throws {
        try await withStack { server, redis, listener in
            let other = TestRedis.client(port: server.port, "other")
            defer { Task { await other.shutdown() } }
            let a = producer(redis)
            let b = producer(other)
            let now = nowMillis()
            let items: [JSONValue] = (0..<50).map { transferJSON(amount: 1e6, txHash: "0xcc\($0)", priceUSD: 1, timestamp: now) }
            async let left = a.apply(WhaleInput.parseBatch(body(.array(items)), now: now), now: now)
            async let right = b.apply(WhaleInput.parseBatch(body(.array(items.reversed())), now: now), now: now)
            let (l, r) = try await (left, right)
            #expect(l.published.count + r.published.count == 50)
            #expect(l.duplicates.count + r.duplicates.count == 50)
            try await listener.sync("end")
            #expect(Set(listener.alerts.compactMap { $0["data"]?["txHash"]?.stringValue }).count == 50)
            #expect(listener.alerts.count == 50)
        }
    }

    @Test("across a restart: a new producer remembers alerted hashes and the last price tick")
    func restart() async throws {
        try await withStack { server, redis, listener in
            let now = nowMillis()
            do {
                let before = producer(redis)
                #expect(await ingest(before, [
                    tickJSON(token: "WIF", price: 2, volume24h: 50_000_000, timestamp: now - 2000),
                    transferJSON(token: "WIF", amount: 100_000, txHash: "sig-before", timestamp: now - 1000),
                ]) == .success(2))
            }
            // "Restart": a fresh client and producer, nothing shared but Redis.
            let client = TestRedis.client(port: server.port, "restarted")
            defer { Task { await client.shutdown() } }
            let after = producer(client)
            #expect(await ingest(after, transferJSON(token: "WIF", amount: 100_000, txHash: "sig-before", timestamp: now - 1000)) == .success(1))
            #expect(await ingest(after, transferJSON(token: "WIF", amount: 300_000, from: Self.wallet, to: "KrakenHotWa11etSo1ana11111111111111111111111", txHash: "sig-after", timestamp: now)) == .success(1))
            try await listener.sync("end")
            let data = listener.alerts.compactMap { $0["data"] }
            #expect(data.map { $0["txHash"] } == ["sig-before", "sig-after"])
            #expect(data.last?["amountUSD"] == 600_000, "valued with the tick stored before the restart")
            #expect(data.last?["impact"] == "high", "600 000 of the stored 50 M volume is 1.2 %")
            #expect(data.last?["type"] == "sell")
            #expect(data.last?["exchange"] == "Kraken")
        }
    }

    @Test("no price given and none known: 400 naming priceUSD and the item; nothing of the batch is applied")
    func priceUnknown() async throws {
        try await withStack { _, redis, listener in
            let whale = producer(redis)
            let now = nowMillis()
            let batch: JSONValue = [
                tickJSON(token: "BONK", price: 0.00002, timestamp: now),
                transferJSON(token: "BONK", amount: 1e10, txHash: "0xd1", timestamp: now),
                transferJSON(token: "FLOKI", amount: 1e10, txHash: "0xd2", timestamp: now),
            ]
            let result = await ingest(whale, batch)
            guard case .failure(.invalid(let message, let field, let index)) = result else {
                Issue.record("expected a 400, got \(result)")
                return
            }
            #expect(field == "priceUSD")
            #expect(index == 2)
            #expect(message.contains("priceUSD") && message.contains("FLOKI"))
            #expect(try await redis.send(["EXISTS", WhaleKeys.market("BONK"), WhaleKeys.seen("0xd1")]) == .integer(0))
            let single = await ingest(whale, transferJSON(token: "FLOKI", amount: 1, txHash: "0xd3", timestamp: now))
            #expect(single == .failure(.invalid(message: WhaleInputError.priceUnknown(token: "FLOKI").description, field: "priceUSD", index: nil)))
            // The tick inside the same batch counts: BONK is valued without priceUSD.
            #expect(await ingest(whale, Array(batch.arrayValue!.prefix(2)).asJSON) == .success(2))
            try await listener.sync("end")
            #expect(listener.alerts.compactMap { $0["data"]?["amountUSD"] } == [200_000])
        }
    }

    @Test("an older price tick does not replace a newer one in Redis; a tick without volume keeps the volume")
    func tickOrdering() async throws {
        try await withStack { _, redis, _ in
            let whale = producer(redis)
            let now = nowMillis()
            #expect(await ingest(whale, [tickJSON(token: "SOL", price: 150, volume24h: 3e9, timestamp: now)].asJSON) == .success(1))
            #expect(await ingest(whale, [tickJSON(token: "SOL", price: 100, volume24h: 1, timestamp: now - 10)].asJSON) == .success(1))
            #expect(await ingest(whale, [tickJSON(token: "SOL", price: 155, timestamp: now + 10)].asJSON) == .success(1))
            let store = WhaleStore(redis: redis, configuration: WhaleConfiguration())
            #expect(try await store.markets(for: ["SOL"])["SOL"] == WhaleMarketState(price: 155, timestamp: now + 10, volume24h: 3e9))
            let ttl = try await redis.sendChecked(["TTL", WhaleKeys.market("SOL")]).int ?? -1
            #expect(ttl > 0)
        }
    }

    @Test("Redis unreachable: 503 (unavailable) and nothing lost; the retry after Redis is back alerts once")
    func outage() async throws {
        try await withStack { server, redis, listener in
            let whale = producer(redis)
            let now = nowMillis()
            let transfer = transferJSON(amount: 1e6, txHash: "0xee1", priceUSD: 1, timestamp: now)
            server.kill()
            guard case .failure(.unavailable) = await ingest(whale, transfer) else {
                Issue.record("expected unavailable while Redis is down")
                return
            }
            try await server.start()
            try await eventually(15, "producer client reconnects") { redis.isConnected }
            try await eventually(15, "listener resubscribes") { listener.subscriber.isConnected }
            try await eventually(15, "the retry succeeds") { await ingest(whale, transfer) == .success(1) }
            #expect(await ingest(whale, transfer) == .success(1))
            try await listener.sync("end")
            #expect(listener.alerts.count == 1)
        }
    }

    @Test("the stream path: entries are published and acknowledged, a re-added entry does not alert again, a bad one is dead-lettered")
    func streamPath() async throws {
        try await withStack { server, redis, listener in
            let whale = producer(redis)
            let streamClient = TestRedis.client(port: server.port, "stream")
            let configuration = ProducerConfiguration(
                name: "whale", port: 0, instance: "test-1", streamBlock: .milliseconds(100), claimMinIdle: .seconds(30))
            let consumer = StreamConsumer(redis: streamClient, handler: whale, configuration: configuration, logger: TestRedis.logger("consumer"))
            let task = Task { try await consumer.run() }
            defer { task.cancel() }
            let now = nowMillis()
            let payload = JSONWriter.string(transferJSON(token: "SHIB", amount: 1e10, txHash: "0xff1", priceUSD: 0.00002, timestamp: now))
            let stream = RedisKeys.ingestStream("whale")
            for value in [payload, payload, "{\"token\":\"SHIB\"}"] {
                _ = try await redis.sendChecked(["XADD", stream, "*", "payload", value])
            }
            try await eventually(15, "all three entries handled") {
                let pending = try await redis.sendChecked(["XPENDING", stream, "whale"]).array?.first?.int
                let dead = try await redis.sendChecked(["XLEN", RedisKeys.deadLetterStream("whale")]).int
                let group = try await redis.sendChecked(["XINFO", "GROUPS", stream]).array?.first?.array ?? []
                let read = zip(group.indices, group).first { $0.1.string == "entries-read" }.flatMap { group[$0.0 + 1].int }
                return pending == 0 && dead == 1 && read == 3
            }
            try await listener.sync("end")
            #expect(listener.alerts.compactMap { $0["data"]?["txHash"] } == ["0xff1"])
            task.cancel()
            _ = try? await task.value
            await streamClient.shutdown()
        }
    }
}

extension Array where Element == JSONValue {
    var asJSON: JSONValue { .array(self) }
}
