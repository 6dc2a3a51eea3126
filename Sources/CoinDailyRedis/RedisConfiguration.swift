public import NIOCore

/// How to reach a Redis server and how the connection behaves when it drops.
///
/// Used by both ``RedisClient`` and ``RedisSubscriber``. All fields are public and mutable; the
/// initializer documents every default.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or IP address of the server. Default `"127.0.0.1"`.
    public var host: String
    /// TCP port of the server. Default `6379`.
    public var port: Int
    /// Password for `AUTH`, sent on every (re)connect when set. Default `nil`.
    public var password: String?
    /// ACL user name for `AUTH user password` (Redis 6+); only used together with ``password``. Default `nil`.
    public var username: String?
    /// Database selected with `SELECT` on every (re)connect of a ``RedisClient`` when not 0
    /// (pub/sub ignores databases). Default `0`.
    public var database: Int
    /// Time allowed for the TCP connect and, separately, for the `AUTH`/`SELECT` handshake. Default 5 s.
    public var connectTimeout: TimeAmount
    /// Deadline for a command from the moment it is issued, counting time spent waiting for a connection.
    /// `nil` (the default) means commands wait as long as it takes. A blocking command (`XREADGROUP BLOCK`)
    /// needs a timeout longer than its block time.
    public var commandTimeout: TimeAmount?
    /// First delay before reconnecting after a connection drops or an attempt fails; it doubles on each
    /// failed attempt up to ``reconnectBackoffMax``, and each delay is jittered to 50–100 % of its value.
    /// Default 100 ms.
    public var reconnectBackoffInitial: TimeAmount
    /// Upper bound of the reconnect delay. Default 5 s.
    public var reconnectBackoffMax: TimeAmount
    /// Bound on commands queued while disconnected; a command beyond it fails at once with
    /// ``RedisError/tooManyPendingCommands(limit:)``. Default `10_000`.
    public var maxPendingCommands: Int
    /// Whether commands issued while disconnected wait for the next connection (`true`, the default)
    /// or fail at once with ``RedisError/notConnected``.
    public var queueWhileDisconnected: Bool
    /// Commands a ``RedisClient`` sends on every (re)connect after `AUTH`/`SELECT`, before any other command
    /// (not used by ``RedisSubscriber``). An error reply closes the connection, which is tried again with the
    /// usual backoff: commands waiting meanwhile stay queued. Default none.
    public var handshakeCommands: [[String]] = []

    /// Creates a configuration; every parameter has the default documented on its property.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        password: String? = nil,
        username: String? = nil,
        database: Int = 0,
        connectTimeout: TimeAmount = .seconds(5),
        commandTimeout: TimeAmount? = nil,
        reconnectBackoffInitial: TimeAmount = .milliseconds(100),
        reconnectBackoffMax: TimeAmount = .seconds(5),
        maxPendingCommands: Int = 10_000,
        queueWhileDisconnected: Bool = true
    ) {
        self.host = host
        self.port = port
        self.password = password
        self.username = username
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoffInitial = reconnectBackoffInitial
        self.reconnectBackoffMax = reconnectBackoffMax
        self.maxPendingCommands = maxPendingCommands
        self.queueWhileDisconnected = queueWhileDisconnected
    }

    /// `url` with its user info (`user:password@`) replaced by `***@`, for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard let scheme = url.firstRange(of: "://"), let at = url.lastIndex(of: "@"), scheme.upperBound <= at else { return url }
        return String(url[..<scheme.upperBound]) + "***" + String(url[at...])
    }

    /// Parses `redis://[user:password@]host[:port][/db]`; every other field keeps its default.
    ///
    /// - The port defaults to 6379 and must be 1...65535; the database defaults to 0.
    /// - User and password may be percent-encoded; `redis://:password@host` gives a password without a user.
    /// - An IPv6 host is written in brackets: `redis://[::1]:6379`.
    /// - Throws: ``RedisError/invalidURL(_:)`` for another scheme, a query or fragment, user info without
    ///   a `:`, an empty host, a bad port or a database that is not a non-negative integer.
    public init(url: String) throws(RedisError) {
        self.init()
        // Error messages name the URL without its user info: it may hold a password.
        let shown = Self.redacted(url)
        let scheme = "redis://"
        guard url.hasPrefix(scheme) else {
            throw .invalidURL("expected a redis:// URL, got \(shown)")
        }
        var rest = Substring(url.dropFirst(scheme.count))
        if rest.contains("?") || rest.contains("#") {
            throw .invalidURL("query strings and fragments are not supported: \(shown)")
        }
        // Path (database).
        var pathPart: Substring?
        if let slash = rest.firstIndex(of: "/") {
            pathPart = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        // User info.
        var hostPort = rest
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            hostPort = rest[rest.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw .invalidURL("user info must be user:password or :password in \(shown)")
            }
            let user = try Self.percentDecode(userInfo[..<colon], in: url)
            let pass = try Self.percentDecode(userInfo[userInfo.index(after: colon)...], in: url)
            self.username = user.isEmpty ? nil : user
            self.password = pass.isEmpty ? nil : pass
        }
        // Host and port.
        var portPart: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw .invalidURL("unterminated IPv6 address in \(shown)")
            }
            self.host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else {
                    throw .invalidURL("unexpected characters after IPv6 address in \(shown)")
                }
                portPart = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            self.host = String(hostPort[..<colon])
            portPart = hostPort[hostPort.index(after: colon)...]
        } else {
            self.host = String(hostPort)
        }
        guard !self.host.isEmpty else {
            throw .invalidURL("missing host in \(shown)")
        }
        if let portPart {
            guard portPart.allSatisfy(\.isASCIIDigit), let port = Int(portPart), (1...65_535).contains(port) else {
                throw .invalidURL("invalid port '\(portPart)' in \(shown)")
            }
            self.port = port
        }
        if let pathPart, !pathPart.isEmpty {
            guard pathPart.allSatisfy(\.isASCIIDigit), let database = Int(pathPart) else {
                throw .invalidURL("invalid database '\(pathPart)' in \(shown)")
            }
            self.database = database
        }
    }

    private static func percentDecode(_ text: Substring, in url: String) throws(RedisError) -> String {
        guard text.contains("%") else {
            return String(text)
        }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
                else {
                    throw .invalidURL("bad percent-encoding in \(Self.redacted(url))")
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension RedisConfiguration: CustomStringConvertible {
    /// The configuration for logs, with the password redacted.
    public var description: String {
        let user = self.username.map { "\($0)@" } ?? ""
        let password = self.password == nil ? "" : " password=<redacted>"
        return "redis://\(user)\(self.host):\(self.port)/\(self.database)\(password)"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool {
        self.isASCII && self.isNumber
    }
}
