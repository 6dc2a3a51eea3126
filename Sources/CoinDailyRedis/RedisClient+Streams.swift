public import NIOCore

/// Stream commands for the ingest path. Each throws ``RedisError/server(_:)`` on an error reply and
/// ``RedisError/unexpectedReply(_:)`` if the reply has the wrong shape.
extension RedisClient {
    /// `XADD stream [MAXLEN ~ maxLen] id field value ...`; returns the ID of the new entry.
    ///
    /// - Parameters:
    ///   - fields: Field/value pairs, kept in this order.
    ///   - maxLen: When set, trims the stream to about this many entries (`MAXLEN ~`, the cheap approximate form).
    ///   - id: The entry ID; `"*"` (the default) lets Redis choose.
    @discardableResult
    public func xadd(
        stream: String,
        fields: [(String, ByteBuffer)],
        maxLen: Int? = nil,
        id: String = "*"
    ) async throws -> String {
        var arguments = [ByteBuffer(string: "XADD"), ByteBuffer(string: stream)]
        if let maxLen {
            arguments += [ByteBuffer(string: "MAXLEN"), ByteBuffer(string: "~"), ByteBuffer(string: String(maxLen))]
        }
        arguments.append(ByteBuffer(string: id))
        arguments.reserveCapacity(arguments.count + fields.count * 2)
        for (name, value) in fields {
            arguments.append(ByteBuffer(string: name))
            arguments.append(value)
        }
        let reply = try await self.sendChecked(arguments)
        guard let entryID = reply.string else {
            throw RedisError.unexpectedReply("XADD: \(reply)")
        }
        return entryID
    }

    /// `XADD` with UTF-8 string values; otherwise the same as the `ByteBuffer` variant.
    @discardableResult
    public func xadd(
        stream: String,
        fields: [(String, String)],
        maxLen: Int? = nil,
        id: String = "*"
    ) async throws -> String {
        try await self.xadd(
            stream: stream,
            fields: fields.map { ($0.0, ByteBuffer(string: $0.1)) },
            maxLen: maxLen,
            id: id
        )
    }

    /// `XGROUP CREATE stream group id [MKSTREAM]`.
    ///
    /// - Parameters:
    ///   - id: Where the group starts reading: `"$"` (the default) for new entries only, `"0"` for all.
    ///   - mkstream: Create the stream if it does not exist (default `true`).
    /// - Returns: `true` if the group was created, `false` if it already existed (`BUSYGROUP` is not an error).
    @discardableResult
    public func xgroupCreate(stream: String, group: String, id: String = "$", mkstream: Bool = true) async throws -> Bool {
        var arguments = ["XGROUP", "CREATE", stream, group, id]
        if mkstream {
            arguments.append("MKSTREAM")
        }
        let reply = try await self.send(arguments)
        switch reply {
        case .simpleString:
            return true
        case .error(let message) where message.hasPrefix("BUSYGROUP"):
            return false
        case .error(let message):
            throw RedisError.server(message)
        default:
            throw RedisError.unexpectedReply("XGROUP CREATE: \(reply)")
        }
    }

    /// `XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...`.
    ///
    /// - Parameters:
    ///   - streams: Stream names with the ID to read after: `">"` for entries never delivered to this group,
    ///     or an ID (e.g. `"0"`) to re-read this consumer's pending entries.
    ///   - count: Maximum entries per stream.
    ///   - block: Wait up to this long for new entries (`BLOCK`); `nil` returns at once, and zero blocks
    ///     forever (as in Redis). A blocking read holds
    ///     the connection and every command queued behind it waits: use a dedicated `RedisClient` for
    ///     blocking reads, and a ``RedisConfiguration/commandTimeout`` (if any) longer than `block`.
    ///   - noAck: Adds `NOACK` (entries are not added to the pending list).
    /// - Returns: The entries of all streams, stream by stream; empty when the read timed out.
    public func xreadgroup(
        group: String,
        consumer: String,
        streams: [(name: String, id: String)],
        count: Int? = nil,
        block: TimeAmount? = nil,
        noAck: Bool = false
    ) async throws -> [RedisStreamEntry] {
        guard !streams.isEmpty else {
            throw RedisError.invalidCommand("XREADGROUP needs at least one stream")
        }
        var arguments = ["XREADGROUP", "GROUP", group, consumer]
        if let count {
            arguments += ["COUNT", String(count)]
        }
        if let block {
            arguments += ["BLOCK", String(max(block.nanoseconds / 1_000_000, 0))]
        }
        if noAck {
            arguments.append("NOACK")
        }
        arguments.append("STREAMS")
        arguments += streams.map(\.name)
        arguments += streams.map(\.id)
        let reply = try await self.sendChecked(arguments)
        if reply.isNull {
            return []
        }
        guard let perStream = reply.array else {
            throw RedisError.unexpectedReply("XREADGROUP: \(reply)")
        }
        var entries: [RedisStreamEntry] = []
        for streamReply in perStream {
            guard let pair = streamReply.array, pair.count == 2, let name = pair[0].string else {
                throw RedisError.unexpectedReply("XREADGROUP stream: \(streamReply)")
            }
            entries += try RedisStreamEntry.parseEntries(stream: name, reply: pair[1])
        }
        return entries
    }

    /// `XACK stream group id...`; returns how many entries were acknowledged.
    @discardableResult
    public func xack(stream: String, group: String, ids: [String]) async throws -> Int {
        guard !ids.isEmpty else {
            return 0
        }
        return try Self.integer(try await self.sendChecked(["XACK", stream, group] + ids), "XACK")
    }

    /// `XAUTOCLAIM stream group consumer min-idle-ms start [COUNT n]`: takes over entries pending for
    /// longer than `minIdle` (e.g. from a crashed consumer).
    ///
    /// Handles the Redis 7 reply `[next, entries, deleted]` and the Redis 6.2 reply `[next, entries]`.
    /// - Parameters:
    ///   - start: Where to start scanning the pending list; `"0-0"` (the default) from the beginning.
    ///   - count: Maximum entries to claim (Redis defaults to 100).
    public func xautoclaim(
        stream: String,
        group: String,
        consumer: String,
        minIdle: TimeAmount,
        start: String = "0-0",
        count: Int? = nil
    ) async throws -> RedisAutoClaimResult {
        var arguments = ["XAUTOCLAIM", stream, group, consumer, String(max(minIdle.nanoseconds / 1_000_000, 0)), start]
        if let count {
            arguments += ["COUNT", String(count)]
        }
        let reply = try await self.sendChecked(arguments)
        guard let parts = reply.array, parts.count == 2 || parts.count == 3, let next = parts[0].string else {
            throw RedisError.unexpectedReply("XAUTOCLAIM: \(reply)")
        }
        // Redis 6.2 lists deleted entries with a null field array; they come back with no fields.
        let entries = try RedisStreamEntry.parseEntries(stream: stream, reply: parts[1])
        var deleted: [String] = []
        if parts.count == 3 {
            guard let ids = parts[2].array else {
                throw RedisError.unexpectedReply("XAUTOCLAIM deleted IDs: \(parts[2])")
            }
            deleted = try ids.map { id in
                guard let text = id.string else {
                    throw RedisError.unexpectedReply("XAUTOCLAIM deleted ID: \(id)")
                }
                return text
            }
        }
        return RedisAutoClaimResult(nextStart: next, entries: entries, deletedIDs: deleted)
    }
}
