import CoinDailyProtocol
import CoinDailyRedis
import Foundation
import Testing

/// The two Lua scripts of ``EventHistory`` against a real Redis: the channel's last position expires,
/// and a resume that can no longer know what it missed is a gap, never an empty "nothing missed".
@Suite("EventHistory scripts: the last position expires, resume stays exact", .serialized)
struct EventHistoryScriptTests {
    private let channel = "cd:ev:whale_activity"
    private let day = Int64(EventHistory.lastPositionTTLMillis)

    private func publish(_ redis: RedisClient, maxAge: Int = 300_000) async throws -> EventID {
        let json = #"{"type":"whale_activity_alert","data":{},"timestamp":0}"#
        let reply = try await redis.sendChecked(["EVAL", EventHistory.publishScript, "0", json, "100", String(maxAge), channel])
        return try #require(reply.string.flatMap(EventID.init))
    }

    /// Runs the resume script: `(status, entry positions)`.
    private func resume(_ redis: RedisClient, epoch: String, since: String) async throws -> (String, [String]) {
        let reply = try await redis.sendChecked(["EVAL", EventHistory.resumeScript, "0", epoch, since, "100", channel])
        let parts = reply.array ?? []
        let status = parts.first?.string ?? "?"
        guard status == "ok" else { return (status, []) }
        return (status, stride(from: 3, to: parts.count, by: 2).compactMap { parts[$0].string })
    }

    private func serverMillis(_ redis: RedisClient) async throws -> Int64 {
        let time = (try await redis.sendChecked(["TIME"]).array ?? []).compactMap(\.string)
        return (Int64(time.first ?? "") ?? 0) * 1000 + (Int64(time.last ?? "") ?? 0) / 1000
    }

    @Test("the scripts use the documented lifetime")
    func lifetimeWrittenOut() {
        #expect(EventHistory.publishFunction.contains("math.max(\(day), maxage)"))
        #expect(EventHistory.resumeScript.contains("now - ms >= \(day)"))
    }

    @Test("each publish sets cd:hist:last:<channel> with the lifetime (or the history's age when longer)")
    func lastPositionExpires() async throws {
        try await TestRedis.withServer { _, redis in
            let id = try await publish(redis)
            let key = RedisKeys.historyLast(channel)
            #expect(try await redis.sendChecked(["GET", key]).string == id.position.description)
            let ttl = try #require(try await redis.sendChecked(["PTTL", key]).int)
            #expect(ttl > day - 60_000 && ttl <= day)
            _ = try await publish(redis, maxAge: Int(2 * day))
            let longer = try #require(try await redis.sendChecked(["PTTL", key]).int)
            #expect(longer > 2 * day - 60_000)
            // Nothing else accumulates per channel outside the stream and this key.
            #expect(try await redis.sendChecked(["EXISTS", "cd:hist:last"]).int == 0)
        }
    }

    @Test("after the last position expired: a recent since resumes, an older one is a gap")
    func expiredLastPosition() async throws {
        try await TestRedis.withServer { _, redis in
            // An epoch started two days ago (a since older than a day is possible in it).
            let now = try await serverMillis(redis)
            let epoch = String((now - 2 * day) / 1000, radix: 16) + "00000"
            _ = try await redis.sendChecked(["HSET", RedisKeys.historyClock, "epoch", epoch])
            let first = try await publish(redis)
            #expect(first.epoch == epoch)
            let recent = "\(now - 60_000)-0"
            let old = "\(now - day - 60_000)-0"

            // The channel went quiet long enough for its stream and last position to expire.
            _ = try await redis.sendChecked(["DEL", RedisKeys.historyStream(channel), RedisKeys.historyLast(channel)])
            // Empty stream, no last position: a since within the lifetime missed nothing (any event after it
            // would have left a last position that is still there)...
            let quietRecent = try await resume(redis, epoch: epoch, since: recent)
            #expect(quietRecent.0 == "ok" && quietRecent.1.isEmpty)
            // ...an older one cannot be told from a loss.
            #expect(try await resume(redis, epoch: epoch, since: old).0 == "gap")

            // The next event has no previous position ('0-0'): replayed to a recent since, a gap for an old one.
            let next = try await publish(redis)
            let replay = try await resume(redis, epoch: epoch, since: recent)
            #expect(replay.0 == "ok" && replay.1 == [next.position.description])
            #expect(try await resume(redis, epoch: epoch, since: old).0 == "gap")
        }
    }

    @Test("'0-0' (subscribed while the epoch had no event) counts from the epoch's start, not from 1970")
    func sinceTheEpochStart() async throws {
        try await TestRedis.withServer { _, redis in
            let start = try await resume(redis, epoch: "", since: "")  // starts the epoch, as a gateway's subscribe does
            #expect(start.0 == "ok")
            let epoch = try #require(try await redis.sendChecked(["HGET", RedisKeys.historyClock, "epoch"]).string)
            let first = try await publish(redis)
            let replay = try await resume(redis, epoch: epoch, since: "0-0")
            #expect(replay.0 == "ok" && replay.1 == [first.position.description])
            // An epoch that began more than a day ago: '0-0' can no longer vouch for a channel without a last position.
            let old = try await serverMillis(redis) / 1000 - Int64(EventHistory.lastPositionTTLMillis) / 1000 - 60
            let oldEpoch = String(old, radix: 16) + "00000"
            _ = try await redis.sendChecked(["HSET", RedisKeys.historyClock, "epoch", oldEpoch])
            _ = try await redis.sendChecked(["DEL", RedisKeys.historyStream(channel), RedisKeys.historyLast(channel)])
            _ = try await publish(redis)
            #expect(try await resume(redis, epoch: oldEpoch, since: "0-0").0 == "gap")
        }
    }

    @Test("with the last position there: a trimmed history is a gap, an untouched one replays exactly")
    func lastPositionPresent() async throws {
        try await TestRedis.withServer { _, redis in
            let first = try await publish(redis)
            let second = try await publish(redis)
            let replay = try await resume(redis, epoch: first.epoch, since: first.position.description)
            #expect(replay.0 == "ok" && replay.1 == [second.position.description])
            _ = try await redis.sendChecked(["DEL", RedisKeys.historyStream(channel)])
            #expect(try await resume(redis, epoch: first.epoch, since: first.position.description).0 == "gap")
            let upToDate = try await resume(redis, epoch: first.epoch, since: second.position.description)
            #expect(upToDate.0 == "ok" && upToDate.1.isEmpty)
        }
    }

    @Test("entries older than the history's age are trimmed (whole stream nodes, as Redis trims with ~), and a quiet channel's stream expires")
    func trimmedByAge() async throws {
        try await TestRedis.withServer { _, redis in
            let json = #"{"type":"whale_activity_alert","data":{},"timestamp":0}"#
            let publish = { _ = try await redis.sendChecked(["EVAL", EventHistory.publishScript, "0", json, "1000", "1000", channel]) }
            for _ in 0..<150 { try await publish() }  // more than one stream node (100 entries)
            let ttl = try await redis.sendChecked(["PTTL", RedisKeys.historyStream(channel)]).int ?? -1
            #expect(ttl > 0 && ttl <= 1000, "the stream expires with the history's age: \(ttl)")
            for _ in 0..<4 {  // keeps the stream alive (it expires 1 s after its last event)
                try await Task.sleep(for: .milliseconds(400))
                try await publish()
            }
            // The first 150 are now older than 1 s, even after a slow first burst: the node of the first 100 goes.
            let length = try await redis.sendChecked(["XLEN", RedisKeys.historyStream(channel)]).int ?? -1
            #expect(length < 150 && length > 4, "trimmed by age: \(length) entries of 154 (the stream itself must live)")
            try await Task.sleep(for: .milliseconds(1_200))
            #expect(try await redis.sendChecked(["EXISTS", RedisKeys.historyStream(channel)]).int == 0, "a quiet stream did not expire")
            #expect(try await redis.sendChecked(["EXISTS", RedisKeys.historyLast(channel)]).int == 1, "the last position must outlive it")
        }
    }
}
