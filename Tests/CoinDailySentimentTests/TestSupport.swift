import CoinDailySentiment
import Foundation

/// A fixed epoch-millisecond origin for tests.
let t0: Int64 = 1_700_000_000_000
let second: Int64 = 1_000
let minute: Int64 = 60_000
let hour: Int64 = 3_600_000
/// The default half-life (15 minutes) in ms.
let halfLife: Int64 = 15 * minute

func signal(_ source: SentimentSource, _ score: Double, weight: Double = 1, at timestamp: Int64) -> SentimentInput {
    signal("BTC", source, score, weight: weight, at: timestamp)
}

func signal(_ token: String, _ source: SentimentSource, _ score: Double, weight: Double = 1, at timestamp: Int64) -> SentimentInput {
    .signal(SentimentSignal(token: token, source: source, score: score, weight: weight, timestamp: timestamp))
}

func tick(_ price: Double, at timestamp: Int64) -> SentimentInput {
    tick("BTC", price, at: timestamp)
}

func tick(_ token: String, _ price: Double, at timestamp: Int64) -> SentimentInput {
    .price(PriceTick(token: token, price: price, timestamp: timestamp))
}

/// The error thrown by `parseBatch` for `json`, or nil when it parses.
func batchError(_ json: String, now: Int64 = t0, maxItems: Int = SentimentInput.defaultMaxBatchItems) -> SentimentInputError? {
    do {
        _ = try SentimentInput.parseBatch(Data(json.utf8), now: now, maxItems: maxItems)
        return nil
    } catch {
        return error
    }
}

/// The error thrown by `parse(json:)` for `object`, or nil when it parses.
func objectError(_ object: [String: Any], now: Int64 = t0) -> SentimentInputError? {
    do {
        _ = try SentimentInput.parse(json: object, now: now)
        return nil
    } catch {
        return error
    }
}

/// Parses one JSON object string.
func parseOne(_ json: String, now: Int64 = t0) throws(SentimentInputError) -> SentimentInput {
    try SentimentInput.parse(from: Data(json.utf8), now: now)
}
