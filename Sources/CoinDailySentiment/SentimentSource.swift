/// Where a sentiment signal comes from.
///
/// Each source keeps its own decaying aggregate per token, and the engine mixes the four with
/// ``SentimentConfiguration/sourceWeights``. The raw values are the lowercase names used in the
/// ingest JSON (`"source": "social"`).
public enum SentimentSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// Social media: posts, mentions, community chatter. Plentiful and noisy.
    case social
    /// News articles and editorial coverage.
    case news
    /// Large on-chain transfers and exchange flows ("whale" activity).
    case whale
    /// Technical indicators derived from price and volume.
    case technical

    /// The accepted source names joined for error messages: `"social, news, whale, technical"`.
    public static let acceptedNames: String = allCases.map(\.rawValue).joined(separator: ", ")

    /// A dense index (0 ..< 4) in `allCases` order, used for per-source storage without hashing.
    var index: Int {
        switch self {
        case .social: 0
        case .news: 1
        case .whale: 2
        case .technical: 3
        }
    }
}
