public import NIOCore

/// Small typed helpers for everyday commands. Each throws ``RedisError/server(_:)`` on an error reply and
/// ``RedisError/unexpectedReply(_:)`` if the reply has the wrong shape.
extension RedisClient {
    /// `PING`; returns the server's answer (`"PONG"`).
    public func ping() async throws -> String {
        let reply = try await self.sendChecked(["PING"])
        guard let text = reply.string else {
            throw RedisError.unexpectedReply("PING: \(reply)")
        }
        return text
    }

    /// `GET key`; `nil` if the key does not exist.
    public func get(_ key: String) async throws -> ByteBuffer? {
        let reply = try await self.sendChecked(["GET", key])
        switch reply {
        case .bulkString(let buffer):
            return buffer
        default:
            throw RedisError.unexpectedReply("GET: \(reply)")
        }
    }

    /// `GET key` decoded as UTF-8; `nil` if the key does not exist.
    public func getString(_ key: String) async throws -> String? {
        try await self.get(key).map { String(buffer: $0) }
    }

    /// `SET key value [EX s | PX ms] [NX]`.
    ///
    /// - Parameters:
    ///   - expiration: Time to live; sent as `EX` when it is whole seconds, otherwise as `PX`.
    ///   - onlyIfNotExists: Adds `NX`.
    /// - Returns: `true` if the value was set, `false` if `NX` prevented it.
    @discardableResult
    public func set(
        _ key: String,
        to value: ByteBuffer,
        expiration: TimeAmount? = nil,
        onlyIfNotExists: Bool = false
    ) async throws -> Bool {
        var arguments = [ByteBuffer(string: "SET"), ByteBuffer(string: key), value]
        if let expiration {
            let milliseconds = expiration.nanoseconds / 1_000_000
            if milliseconds % 1000 == 0 {
                arguments += [ByteBuffer(string: "EX"), ByteBuffer(string: String(milliseconds / 1000))]
            } else {
                arguments += [ByteBuffer(string: "PX"), ByteBuffer(string: String(milliseconds))]
            }
        }
        if onlyIfNotExists {
            arguments.append(ByteBuffer(string: "NX"))
        }
        let reply = try await self.sendChecked(arguments)
        switch reply {
        case .simpleString:
            return true
        case .bulkString(nil):
            return false
        default:
            throw RedisError.unexpectedReply("SET: \(reply)")
        }
    }

    /// `SET` with a UTF-8 string value, otherwise the same as the `ByteBuffer` variant.
    @discardableResult
    public func set(
        _ key: String,
        to value: String,
        expiration: TimeAmount? = nil,
        onlyIfNotExists: Bool = false
    ) async throws -> Bool {
        try await self.set(key, to: ByteBuffer(string: value), expiration: expiration, onlyIfNotExists: onlyIfNotExists)
    }

    /// `MGET key...`; one element per key, `nil` where the key does not exist.
    public func mget(_ keys: [String]) async throws -> [ByteBuffer?] {
        guard !keys.isEmpty else {
            return []
        }
        let reply = try await self.sendChecked(["MGET"] + keys)
        guard let elements = reply.array else {
            throw RedisError.unexpectedReply("MGET: \(reply)")
        }
        return try elements.map { element in
            guard case .bulkString(let buffer) = element else {
                throw RedisError.unexpectedReply("MGET element: \(element)")
            }
            return buffer
        }
    }

    /// `PUBLISH channel message`; returns how many subscribers received it.
    @discardableResult
    public func publish(_ message: ByteBuffer, to channel: String) async throws -> Int {
        try Self.integer(
            try await self.sendChecked([ByteBuffer(string: "PUBLISH"), ByteBuffer(string: channel), message]),
            "PUBLISH"
        )
    }

    /// `PUBLISH` with a UTF-8 string message.
    @discardableResult
    public func publish(_ message: String, to channel: String) async throws -> Int {
        try await self.publish(ByteBuffer(string: message), to: channel)
    }

    /// `SADD key member...`; returns how many members were added.
    @discardableResult
    public func sadd(_ key: String, members: [String]) async throws -> Int {
        guard !members.isEmpty else {
            return 0
        }
        return try Self.integer(try await self.sendChecked(["SADD", key] + members), "SADD")
    }

    /// `SMEMBERS key`, decoded as UTF-8 (in Redis's order, which is unspecified).
    public func smembers(_ key: String) async throws -> [String] {
        let reply = try await self.sendChecked(["SMEMBERS", key])
        guard let elements = reply.array else {
            throw RedisError.unexpectedReply("SMEMBERS: \(reply)")
        }
        return try elements.map { element in
            guard let member = element.string else {
                throw RedisError.unexpectedReply("SMEMBERS element: \(element)")
            }
            return member
        }
    }

    /// `DEL key...`; returns how many keys were removed.
    @discardableResult
    public func del(_ keys: [String]) async throws -> Int {
        guard !keys.isEmpty else {
            return 0
        }
        return try Self.integer(try await self.sendChecked(["DEL"] + keys), "DEL")
    }

    /// The value of an integer reply, or ``RedisError/unexpectedReply(_:)``.
    static func integer(_ reply: RESPValue, _ command: String) throws -> Int {
        guard case .integer(let value) = reply else {
            throw RedisError.unexpectedReply("\(command): \(reply)")
        }
        return Int(value)
    }
}
