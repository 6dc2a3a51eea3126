/// One retained price observation.
struct PriceSample: Sendable, Equatable {
    /// When it was observed, epoch ms.
    var timestamp: Int64
    /// The price, > 0.
    var price: Double
}
