/// A bounded, time-ordered history of one token's prices, for `priceChange24h`.
///
/// A ring buffer of at most `capacity` samples, at most one per `sampleInterval` bucket
/// (`timestamp / sampleInterval`): a tick in the same bucket as the newest sample replaces it, so
/// the newest sample is always the latest price. Ticks older than the newest sample are ignored
/// (a feed replaying old prices must not rewrite the latest one). With the defaults (60 s, 1500)
/// this keeps 25 hours in 1500 × 16 bytes per token, allocated once.
struct PriceHistory: Sendable, Equatable {
    private var storage: [PriceSample] = []
    /// The index in `storage` of the oldest sample once the ring is full.
    private var head = 0
    private let capacity: Int
    private let sampleIntervalMilliseconds: Int64

    init(capacity: Int, sampleIntervalMilliseconds: Int64) {
        self.capacity = max(2, capacity)
        self.sampleIntervalMilliseconds = max(1, sampleIntervalMilliseconds)
    }

    /// The number of samples kept.
    var count: Int { storage.count }

    /// The sample at logical position `i` (0 = oldest).
    subscript(i: Int) -> PriceSample {
        storage[(head + i) % storage.count]
    }

    /// The newest sample.
    var latest: PriceSample? { storage.isEmpty ? nil : self[storage.count - 1] }

    /// Records a price.
    mutating func record(price: Double, at timestamp: Int64) {
        let sample = PriceSample(timestamp: timestamp, price: price)
        guard let latest else {
            storage.reserveCapacity(capacity)
            storage.append(sample)
            return
        }
        guard timestamp >= latest.timestamp else { return }
        if bucket(timestamp) == bucket(latest.timestamp) {
            storage[(head + storage.count - 1) % storage.count] = sample
        } else if storage.count < capacity {
            storage.append(sample)
        } else {
            storage[head] = sample
            head = (head + 1) % capacity
        }
    }

    private func bucket(_ timestamp: Int64) -> Int64 {
        // Floor division, so negative timestamps (never produced by the parser) still bucket sanely.
        let q = timestamp / sampleIntervalMilliseconds
        return (timestamp % sampleIntervalMilliseconds < 0) ? q - 1 : q
    }

    /// The percentage change from the reference price to the newest price:
    /// `(latest - reference) / reference × 100`.
    ///
    /// The reference is the newest sample at or before `now - windowMilliseconds`; when the
    /// history does not reach back that far, the oldest sample. Returns 0 with fewer than two
    /// samples.
    func percentChange(now: Int64, windowMilliseconds: Int64) -> Double {
        guard storage.count >= 2, let latest else { return 0 }
        let cutoff = now - windowMilliseconds
        // Binary search for the first sample after the cutoff; the one before it is the reference.
        var low = 0
        var high = storage.count
        while low < high {
            let mid = (low + high) / 2
            if self[mid].timestamp <= cutoff { low = mid + 1 } else { high = mid }
        }
        let reference = low == 0 ? self[0] : self[low - 1]
        return (latest.price - reference.price) / reference.price * 100
    }
}
