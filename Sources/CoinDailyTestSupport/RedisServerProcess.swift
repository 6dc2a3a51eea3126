import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real `redis-server` on a free loopback port, for integration tests.
///
/// `start()` launches `/usr/bin/redis-server --port P --bind 127.0.0.1 --save '' --appendonly no` and waits
/// until it answers `PING`; `kill()` sends SIGKILL and reaps it; `start()` again restarts on the same port.
/// Used from one test at a time; the lock only guards the process handle.
public final class RedisServerProcess: @unchecked Sendable {
    /// Errors from starting the server.
    public enum Failure: Error, CustomStringConvertible {
        case notAnswering(port: Int)
        case noFreePort

        public var description: String {
            switch self {
            case .notAnswering(let port): return "redis-server on port \(port) did not answer PING in time"
            case .noFreePort: return "could not find a free loopback port"
            }
        }
    }

    public static let executable = "/usr/bin/redis-server"

    /// The port the server listens on (stays the same across restarts).
    public let port: Int
    private let extraArguments: [String]
    // @unchecked Sendable: `process` is only touched under `lock`.
    private let lock = NSLock()
    private var process: Process?

    /// Picks a free port; extra arguments (e.g. `["--requirepass", "secret"]`) are appended to every launch.
    public init(extraArguments: [String] = []) throws {
        self.port = try Self.freePort()
        self.extraArguments = extraArguments
    }

    deinit {
        self.kill()
    }

    /// Launches the server (if not running) and waits up to 10 s until it answers `PING`.
    public func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = [
            "--port", String(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", NSTemporaryDirectory(),
            "--loglevel", "warning",
        ] + self.extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.lock.withLock { self.process = process }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if Self.answersPing(port: self.port) {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure.notAnswering(port: self.port)
    }

    /// Kills the server with SIGKILL (no clean shutdown) and waits for it to exit.
    public func kill() {
        let process = self.lock.withLock { () -> Process? in
            defer { self.process = nil }
            return self.process
        }
        guard let process, process.isRunning else {
            return
        }
        #if canImport(Glibc)
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        #else
        process.terminate()
        #endif
        process.waitUntilExit()
    }

    /// Sends `PING` over a plain blocking socket (with short timeouts) and checks for `+PONG` (or `-NOAUTH`).
    public static func answersPing(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            return false
        }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: 300_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = Self.loopback(port: port)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            return false
        }
        let ping = Array("PING\r\n".utf8)
        guard send(fd, ping, ping.count, 0) == ping.count else {
            return false
        }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &reply, reply.count, 0)
        guard count > 0 else {
            return false
        }
        // A server started with --requirepass answers -NOAUTH, which also means it is up.
        let text = String(decoding: reply[0..<count], as: UTF8.self)
        return text.hasPrefix("+PONG") || text.hasPrefix("-NOAUTH")
    }

    /// A free loopback port (bound once by the kernel's choice, then released).
    public static func freePort() throws -> Int {
        let (fd, port) = try boundSocket()
        close(fd)
        return port
    }

    /// A socket bound to a free loopback port (not listening), and the port.
    static func boundSocket() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            throw Failure.noFreePort
        }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = bound == 0 && withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(fd, $0, &length)
            }
        } == 0
        guard named else {
            close(fd)
            throw Failure.noFreePort
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

/// A loopback port where nothing answers, for as long as the value lives: it stays bound (not listening), so a
/// connect is refused and no other test (nor a redis-server it starts) can take the port meanwhile.
public final class ClosedPort: Sendable {
    /// The port.
    public let port: Int
    private let fd: Int32

    /// Reserves a port.
    public init() throws {
        (fd, port) = try RedisServerProcess.boundSocket()
    }

    deinit { close(fd) }
}
