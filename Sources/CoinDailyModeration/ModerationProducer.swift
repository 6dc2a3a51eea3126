import CoinDailyProducer
import CoinDailyService
import Logging
import NIOCore

/// The moderation producer's ingest handler: validates a body (violation reports and status
/// changes), then applies it to the queue in Redis, which publishes the `moderation_queue_update`
/// events in the same atomic step. All or nothing.
///
/// Stateless: the queue lives in Redis (``ModerationQueueStore``), so the same body applied twice
/// changes nothing the second time (repeated reports and repeated status changes are ignored) and a
/// restart loses nothing.
public struct ModerationProducer: IngestHandler {
    private let store: ModerationQueueStore
    private let configuration: ModerationConfiguration
    private let logger: Logger

    /// Creates the producer.
    public init(store: ModerationQueueStore, configuration: ModerationConfiguration = .init(), logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    /// Validates `body` (one JSON object or an array), applies it and publishes its events.
    ///
    /// - Returns: the number of items accepted (repeated ones included: they are accepted and ignored).
    public func ingest(_ body: ByteBuffer) async throws(IngestError) -> Int {
        let now = UnixTime.nowMillis()
        let parsed: (items: [ModerationInput], isArray: Bool)
        do {
            parsed = try ModerationInput.parseBatch(body, now: now, maxItems: configuration.maxBatchItems)
        } catch {
            throw .invalid(message: error.description, field: error.field, index: error.itemIndex)
        }
        return try await apply(parsed.items, isArray: parsed.isArray, now: now)
    }

    /// Applies validated items (`isArray`: whether errors name an item index).
    public func apply(_ items: [ModerationInput], isArray: Bool, now: Int64) async throws(IngestError) -> Int {
        do {
            let outcome = try await store.apply(items, now: now)
            logger.debug(
                "moderation batch applied",
                metadata: ["applied": "\(outcome.applied)", "ignored": "\(outcome.ignored)", "published": "\(outcome.published)"])
            return items.count
        } catch {
            switch error {
            case .rejected(let index, let reason):
                let full: ModerationInputError = isArray ? .item(index: index, reason) : reason
                throw .invalid(message: full.description, field: full.field, index: full.itemIndex)
            case .unavailable(let message):
                throw .unavailable(message)
            }
        }
    }
}
