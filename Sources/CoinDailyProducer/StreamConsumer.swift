import CoinDailyProtocol
import CoinDailyRedis
import Logging
import Metrics
import NIOCore
import ServiceLifecycle

/// Reads a producer's ingest stream (`cd:ingest:<name>`) with a consumer group and feeds every
/// entry's `payload` field to the same ``IngestHandler`` as `POST /v1/ingest`.
///
/// An entry is acknowledged only after the handler has published its result. Invalid entries are
/// copied to the dead-letter stream (`cd:ingest:<name>:dead`, with the error) and acknowledged.
/// When publishing fails (Redis away) the entry stays pending and is read again, before any newer entry
/// (this consumer's pending entries are always read first); entries left pending by a crashed instance
/// are reclaimed with XAUTOCLAIM after ``ProducerConfiguration/claimMinIdle``.
///
/// Uses its own ``RedisClient``: a blocking XREADGROUP holds its connection.
public struct StreamConsumer: Service {
    private let redis: RedisClient
    private let handler: any IngestHandler
    private let configuration: ProducerConfiguration
    private let logger: Logger
    private let consumed: Counter
    private let deadLettered: Counter

    /// Creates the consumer.
    public init(redis: RedisClient, handler: any IngestHandler, configuration: ProducerConfiguration, logger: Logger) {
        self.redis = redis
        self.handler = handler
        self.configuration = configuration
        self.logger = logger
        self.consumed = Counter(label: "coindaily_producer_stream_entries_total", dimensions: [("producer", configuration.name)])
        self.deadLettered = Counter(
            label: "coindaily_producer_dead_letters_total", dimensions: [("producer", configuration.name)])
    }

    private var stream: String { RedisKeys.ingestStream(configuration.name) }
    private var group: String { configuration.name }

    public func run() async throws {
        var groupReady = false
        // Entries delivered to this consumer but not acknowledged (from before a restart, or left by a
        // failed publish) are read again, in order, before anything new.
        var ownPendingFirst = true
        var lastClaim = ContinuousClock.now - .seconds(3600)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if !groupReady {
                    _ = try await redis.xgroupCreate(stream: stream, group: group, id: "0", mkstream: true)
                    groupReady = true
                }
                if ownPendingFirst {
                    let pending = try await redis.xreadgroup(
                        group: group, consumer: configuration.instance, streams: [(stream, "0")],
                        count: configuration.streamBatchSize)
                    try await process(pending)
                    if pending.count < configuration.streamBatchSize { ownPendingFirst = false }
                    continue
                }
                if ContinuousClock.now - lastClaim >= configuration.claimMinIdle {
                    lastClaim = ContinuousClock.now
                    try await reclaim()
                }
                let entries = try await redis.xreadgroup(
                    group: group, consumer: configuration.instance, streams: [(stream, ">")],
                    count: configuration.streamBatchSize,
                    block: .milliseconds(configuration.streamBlock.wholeMilliseconds))
                try await process(entries)
            } catch let error as RedisError {
                ownPendingFirst = true
                if case .server(let message) = error, message.hasPrefix("NOGROUP") { groupReady = false }
                logger.debug("stream read failed, retrying", metadata: ["error": "\(error)"])
                if error == .clientShutdown { return }
                try? await Task.sleep(for: .milliseconds(500))
            } catch let retry as StreamRetry {
                ownPendingFirst = true
                logger.debug("stream entry not published, retrying", metadata: ["error": "\(retry)"])
                try? await Task.sleep(for: .milliseconds(500))
            } catch {
                ownPendingFirst = true
                logger.warning("stream consumer error, retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Takes over every entry pending longer than ``ProducerConfiguration/claimMinIdle`` (left by a crashed
    /// instance), page by page to the end of the pending list, and processes each page before anything new.
    private func reclaim() async throws {
        var start = "0-0"
        var total = 0
        repeat {
            let claimed = try await redis.xautoclaim(
                stream: stream, group: group, consumer: configuration.instance,
                minIdle: .milliseconds(configuration.claimMinIdle.wholeMilliseconds), start: start,
                count: configuration.streamBatchSize)
            total += claimed.entries.count
            try await process(claimed.entries)
            start = claimed.nextStart
        } while start != "0-0" && !Task.isCancelled
        if total > 0 { logger.info("reclaimed pending stream entries", metadata: ["count": "\(total)"]) }
    }

    private func process(_ entries: [RedisStreamEntry]) async throws {
        for entry in entries {
            guard let payload = entry.fields.first(where: { $0.name == "payload" })?.value else {
                try await deadLetter(entry, reason: "entry has no 'payload' field")
                continue
            }
            do {
                _ = try await handler.ingest(payload)
                _ = try await redis.xack(stream: stream, group: group, ids: [entry.id])
                consumed.increment()
            } catch let error as IngestError {
                switch error {
                case .invalid(let message, _, _):
                    try await deadLetter(entry, reason: message)
                case .unavailable(let message):
                    // Leave it pending: it is read again after a restart or reclaimed.
                    throw StreamRetry.unavailable(message)
                }
            }
        }
    }

    private func deadLetter(_ entry: RedisStreamEntry, reason: String) async throws {
        var fields: [(String, String)] = [("source_id", entry.id), ("error", reason)]
        if let payload = entry.fields.first(where: { $0.name == "payload" })?.value {
            fields.append(("payload", String(buffer: payload)))
        }
        var command = ["XADD", RedisKeys.deadLetterStream(configuration.name), "MAXLEN", "~", String(configuration.deadLetterMaxLength), "*"]
        for (name, value) in fields { command += [name, value] }
        _ = try await redis.sendChecked(command)
        _ = try await redis.xack(stream: stream, group: group, ids: [entry.id])
        deadLettered.increment()
        logger.info("stream entry dead-lettered", metadata: ["entry.id": "\(entry.id)", "reason": "\(reason)"])
    }
}

/// Thrown inside ``StreamConsumer`` to stop a batch and retry later.
enum StreamRetry: Error {
    case unavailable(String)
}

extension Duration {
    /// Whole milliseconds.
    public var wholeMilliseconds: Int64 {
        let (s, attos) = components
        return s * 1000 + attos / 1_000_000_000_000_000
    }
}
