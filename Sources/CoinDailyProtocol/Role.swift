/// The roles a token may carry (`roles` claim) that the gateway knows about.
///
/// Tokens may carry other roles; they grant nothing here.
public enum Role: String, Sendable, CaseIterable {
    /// Any authenticated user.
    case user
    /// Editors: content pipeline updates.
    case editor
    /// Moderators: the moderation queue.
    case moderator
    /// Administrators: everything.
    case admin
}
