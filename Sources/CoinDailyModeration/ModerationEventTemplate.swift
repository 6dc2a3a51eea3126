import CoinDailyProtocol

/// A violation's `moderation_queue_update` envelope, pre-encoded around the parts that change.
///
/// The queue script (``ModerationQueueScript``) publishes events for items it did not receive in
/// the request (those whose position shifted), so each item's hash keeps three byte fragments and
/// the script only splices in the queue length, the position, the status and the time:
///
/// ```
/// head ‖ queueLength ‖ ,"queuePosition": ‖ position ‖ mid ‖ status ‖ ","timestamp": ‖ now ‖ tail ‖ now ‖ }
/// ```
///
/// The result is byte for byte what `EventEnvelope(type: "moderation_queue_update", data:, timestamp:)
/// .encoded()` writes (`JSONWriter` sorts the data keys: `confidence`, `contentType`, `queueLength`,
/// `queuePosition`, `reportedAt`, `severity`, `status`, `timestamp`, `userId`, `violationId`,
/// `violationType`), which the tests check.
public struct ModerationEventTemplate: Sendable, Equatable {
    /// `{"type":"moderation_queue_update","data":{"confidence":…,"contentType":…,"queueLength":`
    public var head: String
    /// `,"reportedAt":…,"severity":…,"status":"`
    public var mid: String
    /// `,"userId":…,"violationId":…,"violationType":…},"timestamp":`
    public var tail: String

    /// The fragments for `report`.
    public init(report: ViolationReport) {
        head = #"{"type":"# + Self.json(.string(ChannelKind.moderationQueue.updateEvent)) + #","data":{"confidence":"#
            + Self.json(.number(report.confidence)) + #","contentType":"# + Self.json(.string(report.contentType))
            + #","queueLength":"#
        mid = #","reportedAt":"# + Self.json(.int(report.timestamp)) + #","severity":"# + Self.json(.string(report.severity.rawValue))
            + #","status":""#
        tail = #","userId":"# + Self.json(.string(report.userId)) + #","violationId":"# + Self.json(.string(report.violationId))
            + #","violationType":"# + Self.json(.string(report.violationType)) + #"},"timestamp":"#
    }

    /// The envelope as the script assembles it (used by tests and for documentation).
    public func render(queueLength: Int, queuePosition: Int, status: ModerationStatus, timestamp: Int64) -> String {
        head + String(queueLength) + #","queuePosition":"# + String(queuePosition) + mid + status.rawValue + #"","timestamp":"#
            + String(timestamp) + tail + String(timestamp) + "}"
    }

    private static func json(_ value: JSONValue) -> String { JSONWriter.string(value) }
}
