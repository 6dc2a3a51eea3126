internal import CHiredis
public import NIOCore

/// The only type in `CoinDailyRedis` that touches C pointers: a RESP parser and command formatter backed by hiredis.
///
/// The reader owns one `redisReader*`. Bytes are fed with ``feed(_:)``; each complete reply is taken with
/// ``next()``, converted to a ``RESPValue`` and its `redisReply*` freed at once, so no C memory outlives a call.
/// A reader is not thread-safe: a channel handler owns one and uses it on its event loop only.
public final class HiredisReader {
    private let reader: UnsafeMutablePointer<redisReader>
    private let allocator: ByteBufferAllocator

    /// Creates a reader whose bulk strings are allocated with `allocator`.
    public init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        guard let reader = redisReaderCreateWithFunctions(nullAwareReplyFunctions) else {
            fatalError("redisReaderCreateWithFunctions returned NULL (out of memory)")
        }
        self.reader = reader
        self.allocator = allocator
    }

    deinit {
        redisReaderFree(self.reader)
    }

    /// Appends the readable bytes of `buffer` to the reader's input (hiredis copies them).
    ///
    /// - Throws: ``RedisError/protocolError(_:)`` if the reader is already in an error state.
    public func feed(_ buffer: ByteBuffer) throws(RedisError) {
        guard buffer.readableBytes > 0 else {
            return
        }
        let status = buffer.withUnsafeReadableBytes { bytes in
            redisReaderFeed(self.reader, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if status != REDIS_OK {
            throw .protocolError(self.errorString)
        }
    }

    /// Returns the next complete reply, or `nil` when more bytes are needed.
    ///
    /// - Throws: ``RedisError/protocolError(_:)`` when the input is not valid RESP. The reader cannot be
    ///   used after that; the connection must be closed.
    public func next() throws(RedisError) -> RESPValue? {
        var reply: UnsafeMutableRawPointer?
        guard redisReaderGetReply(self.reader, &reply) == REDIS_OK else {
            throw .protocolError(self.errorString)
        }
        guard let reply else {
            return nil
        }
        defer { freeReplyObject(reply) }
        return self.convert(reply.assumingMemoryBound(to: redisReply.self))
    }

    /// A reply read from a pub/sub connection.
    enum PubSubReply {
        /// A `message` or `pmessage` push, converted straight from the C reply (no intermediate values).
        case message(RedisPubSubMessage)
        /// Anything else: subscription confirmations and ordinary replies.
        case other(RESPValue)
    }

    /// Like ``next()``, but converts `message`/`pmessage` pushes directly into ``RedisPubSubMessage``,
    /// which saves several allocations per message on the subscriber's hot path.
    func nextPubSub() throws(RedisError) -> PubSubReply? {
        var reply: UnsafeMutableRawPointer?
        guard redisReaderGetReply(self.reader, &reply) == REDIS_OK else {
            throw .protocolError(self.errorString)
        }
        guard let reply else {
            return nil
        }
        defer { freeReplyObject(reply) }
        let typed = reply.assumingMemoryBound(to: redisReply.self)
        if let message = self.pubSubMessage(typed.pointee) {
            return .message(message)
        }
        return .other(self.convert(typed))
    }

    private func pubSubMessage(_ r: redisReply) -> RedisPubSubMessage? {
        guard r.type == REDIS_REPLY_ARRAY, r.elements == 3 || r.elements == 4, let kindPointer = r.element[0] else {
            return nil
        }
        let kind = kindPointer.pointee
        guard kind.type == REDIS_REPLY_STRING else {
            return nil
        }
        let kindBytes = UnsafeRawBufferPointer(start: kind.str, count: kind.len)
        let channelIndex: Int
        if r.elements == 3, kindBytes.elementsEqual("message".utf8) {
            channelIndex = 1
        } else if r.elements == 4, kindBytes.elementsEqual("pmessage".utf8) {
            channelIndex = 2
        } else {
            return nil
        }
        guard let channelPointer = r.element[channelIndex], let payloadPointer = r.element[channelIndex + 1] else {
            return nil
        }
        let channel = channelPointer.pointee
        let payload = payloadPointer.pointee
        guard channel.type == REDIS_REPLY_STRING, payload.type == REDIS_REPLY_STRING else {
            return nil
        }
        var buffer = self.allocator.buffer(capacity: payload.len)
        if payload.len > 0 {
            buffer.writeBytes(UnsafeRawBufferPointer(start: payload.str, count: payload.len))
        }
        return RedisPubSubMessage(channel: Self.string(channel.str, channel.len), payload: buffer)
    }

    private var errorString: String {
        withUnsafeBytes(of: &self.reader.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "unknown hiredis reader error" : String(decoding: bytes, as: UTF8.self)
        }
    }

    private func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            var buffer = self.allocator.buffer(capacity: r.len)
            if r.len > 0 {
                buffer.writeBytes(UnsafeRawBufferPointer(start: r.str, count: r.len))
            }
            return .bulkString(buffer)
        case REDIS_REPLY_STATUS:
            return .simpleString(Self.string(r.str, r.len))
        case REDIS_REPLY_ERROR:
            return .error(Self.string(r.str, r.len))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(r.integer))
        case REDIS_REPLY_NIL:
            return r.integer == nullArrayMarker ? .array(nil) : .bulkString(nil)
        case REDIS_REPLY_ARRAY:
            var elements: [RESPValue] = []
            elements.reserveCapacity(r.elements)
            for index in 0..<r.elements {
                elements.append(self.convert(r.element[index]!))
            }
            return .array(elements)
        default:
            return .error("unsupported hiredis reply type \(r.type)")
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> String {
        guard let pointer, length > 0 else {
            return ""
        }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    // MARK: - Command formatting

    /// Formats a command as a RESP array of bulk strings with `redisFormatCommandArgv`.
    ///
    /// Binary-safe: every argument is passed with its length, so `\0` and `\r\n` inside an argument are kept.
    public static func formatCommand(
        _ arguments: [[UInt8]],
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            storage.append(contentsOf: argument)
            lengths.append(argument.count)
        }
        return self.format(storage: &storage, lengths: lengths, allocator: allocator)
    }

    /// Formats a command whose arguments are UTF-8 strings; as the byte-array variant.
    public static func formatCommand(
        _ arguments: [String],
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(1) { $0 + $1.utf8.count })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            storage.append(contentsOf: argument.utf8)
            lengths.append(argument.utf8.count)
        }
        return self.format(storage: &storage, lengths: lengths, allocator: allocator)
    }

    /// Formats a command whose arguments are the readable bytes of byte buffers (binary-safe).
    public static func formatCommand(
        _ arguments: [ByteBuffer],
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(1) { $0 + $1.readableBytes })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            storage.append(contentsOf: argument.readableBytesView)
            lengths.append(argument.readableBytes)
        }
        return self.format(storage: &storage, lengths: lengths, allocator: allocator)
    }

    /// `storage` holds all arguments back to back; `lengths` says where each ends.
    private static func format(storage: inout [UInt8], lengths: [Int], allocator: ByteBufferAllocator) -> ByteBuffer {
        // One spare byte so the base address is never nil, even when every argument is empty.
        storage.append(0)
        return storage.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                let base = chars.baseAddress!
                var argv: [UnsafePointer<CChar>?] = []
                argv.reserveCapacity(lengths.count)
                var offset = 0
                for length in lengths {
                    argv.append(base + offset)
                    offset += length
                }
                var target: UnsafeMutablePointer<CChar>?
                let count = argv.withUnsafeMutableBufferPointer { argvPointer in
                    lengths.withUnsafeBufferPointer { lengthsPointer in
                        redisFormatCommandArgv(
                            &target,
                            Int32(lengths.count),
                            argvPointer.baseAddress,
                            lengthsPointer.baseAddress
                        )
                    }
                }
                guard count >= 0, let target else {
                    fatalError("redisFormatCommandArgv failed (out of memory)")
                }
                defer { redisFreeCommand(target) }
                var buffer = allocator.buffer(capacity: Int(count))
                buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(count)))
                return buffer
            }
        }
    }
}

// MARK: - Telling a null array from a null bulk string

/// hiredis 0.14 reports both `$-1` and `*-1` as `REDIS_REPLY_NIL`. The read task that creates the nil
/// object still knows which one it parsed, so our `createNil` wraps the default one and marks a null
/// array by setting the (otherwise unused) `integer` field of the nil reply to this value.
private let nullArrayMarker: Int64 = 1

/// hiredis's default reply object functions, copied once (by the thread-safe lazy global initialiser)
/// from a throw-away reader.
private let defaultReplyFunctions: redisReplyObjectFunctions = {
    guard let probe = redisReaderCreate() else {
        fatalError("redisReaderCreate returned NULL (out of memory)")
    }
    defer { redisReaderFree(probe) }
    return probe.pointee.fn.pointee
}()

/// The default functions with `createNil` replaced; allocated once for the life of the process.
///
/// `nonisolated(unsafe)`: initialised once by the thread-safe lazy global initialiser and never mutated;
/// hiredis only reads the table.
nonisolated(unsafe) private let nullAwareReplyFunctions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
    let table = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
    table.initialize(to: defaultReplyFunctions)
    table.pointee.createNil = { task in
        guard let object = defaultReplyFunctions.createNil?(task) else {
            return nil
        }
        if let task, task.pointee.type == REDIS_REPLY_ARRAY {
            object.assumingMemoryBound(to: redisReply.self).pointee.integer = nullArrayMarker
        }
        return object
    }
    return table
}()
