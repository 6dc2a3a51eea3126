import CoinDailyProtocol
import CoinDailyRedis
import NIOCore

/// Reads the event history for resumes with ``EventHistory/resumeScript`` (a ``RedisScript``).
final class HistoryReader: Sendable {
    /// What the history could give.
    enum Outcome: Sendable {
        /// Everything after the position, in order (empty when nothing was missed or no position was
        /// given); `top` is the history's last position.
        case complete(epoch: String, top: EventPosition, entries: [(position: EventPosition, payload: ByteBuffer)])
        /// The history cannot give exactly what was missed: `reason` is `epoch`, `gap` or `limit`.
        case incomplete(reason: String, epoch: String, top: EventPosition)
    }

    /// Errors besides Redis's own.
    enum ReadError: Error, Equatable {
        /// The script answered something unexpected.
        case malformedReply(String)
    }

    private static let script = RedisScript(EventHistory.resumeScript)
    private let redis: RedisClient

    init(redis: RedisClient) {
        self.redis = redis
    }

    /// Reads what came after `since` on `channels` (at most `limit` entries in all), or, without `since`,
    /// only the epoch and the last position.
    func resume(since: EventID?, channels: [String], limit: Int) -> EventLoopFuture<Outcome> {
        let arguments =
            [since?.epoch ?? "", since?.position.description ?? "", String(limit)] + channels
        return Self.script.run(arguments: arguments, on: redis).flatMapThrowing { try Self.parse($0) }
    }

    static func parse(_ reply: RESPValue) throws -> Outcome {
        if let message = reply.errorMessage { throw RedisError.server(message) }
        guard let items = reply.array, items.count >= 3, let status = items[0].string, let epoch = items[1].string,
            let topText = items[2].string, let top = EventPosition(Substring(topText))
        else { throw ReadError.malformedReply("\(reply)") }
        guard status == "ok" else { return .incomplete(reason: status, epoch: epoch, top: top) }
        var entries: [(position: EventPosition, payload: ByteBuffer)] = []
        var i = 3
        while i + 1 < items.count {
            guard let idText = items[i].string, let position = EventPosition(Substring(idText)),
                let payload = items[i + 1].bytes
            else { throw ReadError.malformedReply("entry \(i)") }
            entries.append((position, payload))
            i += 2
        }
        return .complete(epoch: epoch, top: top, entries: entries)
    }
}
