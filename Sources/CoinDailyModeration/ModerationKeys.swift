/// The Redis keys of the moderation producer (all under `cd:moderation:`).
public enum ModerationKeys {
    /// The queue: a sorted set of ``ModerationSortKey`` members, all with score 0 (byte order = queue order).
    public static let queue = "cd:moderation:queue"
    /// Prefix of the per-violation hashes.
    public static let itemPrefix = "cd:moderation:item:"

    /// The hash of one violation: `cd:moderation:item:<violationId>`. Fields: `status`, `sortKey`,
    /// `userId`, `contentType`, `violationType`, `severity`, `confidence`, `reportedAt`, `updatedAt`,
    /// and the event fragments `head`, `mid`, `tail` (see ``ModerationEventTemplate``).
    public static func item(_ violationId: String) -> String { itemPrefix + violationId }
}
