/// Which Redis channels a subscription needs, given who holds it.
public enum ChannelRouting {
    /// The event channels a connection must receive for `filter`.
    ///
    /// - Parameters:
    ///   - filter: the connection's subscription of one kind.
    ///   - userId: the verified `sub` of the connection.
    ///   - roles: the verified roles of the connection.
    public static func redisChannels(for filter: SubscriptionFilter, userId: String, roles: Set<String>) -> Set<String> {
        switch filter.kind {
        case .marketSentiment:
            return Set((filter.keys ?? []).map(RedisKeys.sentimentChannel))
        case .taskUpdates:
            if roles.contains(Role.admin.rawValue) { return [RedisKeys.eventChannel(.taskUpdates)] }
            return [RedisKeys.userTaskChannel(userId)]
        default:
            return [RedisKeys.eventChannel(filter.kind)]
        }
    }
}
