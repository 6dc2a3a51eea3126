public import CoinDailyProducer
import CoinDailyProtocol
public import CoinDailyRedis
import CoinDailyService
public import Logging
import Metrics
public import NIOCore

/// The whale producer: values transfers, classifies them and publishes `whale_activity_alert`
/// events on `cd:ev:whale_activity`, each transaction at most once.
///
/// A batch is handled in three steps, all or nothing:
///
/// 1. parse and validate every item (400 naming the field, nothing applied);
/// 2. read the stored market of the batch's transfer tokens (`HMGET cd:whale:market:<TOKEN>`), fold the
///    batch's own price ticks in, and judge every transfer with ``WhaleEvaluator``; a transfer without
///    `priceUSD` whose token has no known price rejects the batch (400 naming `priceUSD`);
/// 3. commit ticks and alerts in one Lua script (see `WhaleStore`): markers `SET NX` and publications
///    happen together, so a redelivered or retried batch never alerts twice.
///
/// Redis unreachable in step 2 or 3 → ``IngestError/unavailable(_:)`` (503, the stream entry stays
/// pending); nothing was changed, or the script ran entirely and the retry finds its markers.
public struct WhaleProducer: IngestHandler {
    /// The rules.
    public let evaluator: WhaleEvaluator
    private let store: WhaleStore
    private let logger: Logger
    private let published: Counter
    private let duplicates: Counter
    private let belowFloor: Counter
    private let tooOld: Counter

    /// Creates the producer. `configuration` must be valid (see ``WhaleConfiguration/validate()``).
    ///
    /// `history` sets how much of `cd:ev:whale_activity` is kept for resume (``HistoryPolicies``).
    public init(
        configuration: WhaleConfiguration, addressBook: WhaleAddressBook, redis: RedisClient,
        history: HistoryPolicies = HistoryPolicies(), logger: Logger
    ) {
        self.evaluator = WhaleEvaluator(configuration: configuration, addressBook: addressBook)
        self.store = WhaleStore(redis: redis, configuration: configuration, history: history.policy(for: .whaleActivity))
        self.logger = logger
        let label = "coindaily_whale_transfers_total"
        self.published = Counter(label: label, dimensions: [("result", "alerted")])
        self.duplicates = Counter(label: label, dimensions: [("result", "duplicate")])
        self.belowFloor = Counter(label: label, dimensions: [("result", "below_floor")])
        self.tooOld = Counter(label: label, dimensions: [("result", "too_old")])
    }

    /// Validates, judges and publishes a batch (one JSON object or an array).
    public func ingest(_ body: ByteBuffer) async throws(IngestError) -> Int {
        let now = UnixTime.nowMillis()
        let batch: WhaleInputBatch
        do {
            batch = try WhaleInput.parseBatch(body, now: now, maxItems: evaluator.configuration.maxBatchItems)
        } catch {
            throw .invalid(message: error.description, field: error.field, index: error.itemIndex)
        }
        return try await apply(batch, now: now).accepted
    }

    /// Applies an already parsed batch at time `now` (Unix ms).
    public func apply(_ batch: WhaleInputBatch, now: Int64) async throws(IngestError) -> WhaleBatchOutcome {
        var ticks: [WhalePriceTick] = []
        var transfers: [(index: Int, transfer: WhaleTransfer)] = []
        for (index, input) in batch.inputs.enumerated() {
            switch input {
            case .price(let tick): ticks.append(tick)
            case .transfer(let transfer): transfers.append((index, transfer))
            }
        }
        var markets: [String: WhaleMarketState] = [:]
        if !transfers.isEmpty {
            do {
                markets = try await store.markets(for: Set(transfers.map(\.transfer.token)))
            } catch {
                throw .unavailable("Redis unavailable: \(error)")
            }
        }
        for tick in ticks where markets[tick.token] != nil {
            markets[tick.token]!.apply(tick)
        }

        var outcome = WhaleBatchOutcome(accepted: batch.inputs.count)
        var alerts: [WhaleAlert] = []
        for (index, transfer) in transfers {
            switch evaluator.evaluate(transfer, market: markets[transfer.token], now: now) {
            case .alert(let alert): alerts.append(alert)
            case .belowFloor: outcome.belowFloor += 1
            case .tooOld: outcome.tooOld += 1
            case .priceUnknown:
                let error = WhaleInputError.priceUnknown(token: transfer.token)
                let reported = batch.isArray ? WhaleInputError.item(index: index, error) : error
                throw .invalid(message: reported.description, field: reported.field, index: reported.itemIndex)
            }
        }

        let flags: [Bool]
        do {
            flags = try await store.commit(ticks: ticks, alerts: alerts, tokens: Set(batch.inputs.map(\.token)), now: now)
        } catch {
            throw .unavailable("Redis unavailable: \(error)")
        }
        for (alert, isNew) in zip(alerts, flags) {
            if isNew {
                outcome.published.append(alert)
                logger.info(
                    "whale alert published",
                    metadata: [
                        "token": "\(alert.token)", "tx.hash": "\(alert.txHash)", "amount.usd": "\(alert.amountUSD)",
                        "type": "\(alert.type.rawValue)", "impact": "\(alert.impact.rawValue)",
                    ])
            } else {
                outcome.duplicates.append(alert)
                logger.debug("whale alert already published", metadata: ["tx.hash": "\(alert.txHash)"])
            }
        }
        published.increment(by: outcome.published.count)
        duplicates.increment(by: outcome.duplicates.count)
        belowFloor.increment(by: outcome.belowFloor)
        tooOld.increment(by: outcome.tooOld)
        return outcome
    }
}
