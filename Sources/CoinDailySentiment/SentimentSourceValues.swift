/// One number per ``SentimentSource``.
///
/// Used for the `sources` object of a ``SentimentReading`` (each source's current score) and for
/// ``SentimentConfiguration/sourceWeights`` (how much each source counts in the mixed score).
/// Encodes as `{"social": …, "news": …, "whale": …, "technical": …}`.
public struct SentimentSourceValues: Sendable, Equatable, Hashable, Codable {
    /// The value for ``SentimentSource/social``.
    public var social: Double
    /// The value for ``SentimentSource/news``.
    public var news: Double
    /// The value for ``SentimentSource/whale``.
    public var whale: Double
    /// The value for ``SentimentSource/technical``.
    public var technical: Double

    /// Creates a value set; every source defaults to 0.
    public init(social: Double = 0, news: Double = 0, whale: Double = 0, technical: Double = 0) {
        self.social = social
        self.news = news
        self.whale = whale
        self.technical = technical
    }

    /// The default source weights: social 0.30, news 0.30, whale 0.20, technical 0.20.
    public static let defaultWeights = SentimentSourceValues(social: 0.30, news: 0.30, whale: 0.20, technical: 0.20)

    /// Reads or writes the value of one source.
    public subscript(source: SentimentSource) -> Double {
        get {
            switch source {
            case .social: social
            case .news: news
            case .whale: whale
            case .technical: technical
            }
        }
        set {
            switch source {
            case .social: social = newValue
            case .news: news = newValue
            case .whale: whale = newValue
            case .technical: technical = newValue
            }
        }
    }

    /// The sum of the four values.
    public var total: Double { social + news + whale + technical }
}
