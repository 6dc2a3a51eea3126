import Foundation
import Logging
import NIOSSL
import Synchronization

/// A server TLS context that can be replaced while the server runs, for certificate renewal without a
/// restart.
///
/// Give ``current`` to each new connection (`NIOSSLServerHandler(context: tls.current)`); connections
/// already open keep the context they started with. ``reload()`` re-reads the files and swaps the
/// context atomically; when the new files are bad it logs and keeps serving the previous context.
/// ``reloadIfChanged()`` does the same only when a file's modification time, size or inode changed —
/// ``TLSReloadService`` calls it every few seconds and ``reload()`` on SIGHUP.
///
/// Safe from any thread; reading ``current`` takes a short lock.
public final class ReloadableTLSContext: Sendable {
    private struct State {
        var context: NIOSSLContext
        var stamp: [Int64]
        var generation: Int
    }

    /// The files the context is read from.
    public let files: TLSFiles
    private let state: Mutex<State>
    private let logger: Logger

    /// Loads the files once.
    ///
    /// - Throws: ``TLSContextError`` when the files cannot be used (a server should not start then).
    public init(files: TLSFiles, logger: Logger) throws(TLSContextError) {
        self.files = files
        self.logger = logger
        let stamp = Self.stamp(of: files)
        let context = try files.makeServerContext()
        self.state = Mutex(State(context: context, stamp: stamp, generation: 1))
    }

    /// The context new connections should use: the last one loaded successfully.
    public var current: NIOSSLContext { state.withLock { $0.context } }

    /// How many times a context was loaded successfully (1 after `init`); for tests and metrics.
    public var generation: Int { state.withLock { $0.generation } }

    /// Re-reads the files and, when they make a usable context, makes it ``current``.
    ///
    /// - Returns: whether the new files were taken; `false` (with a logged error) keeps the previous context.
    @discardableResult
    public func reload() -> Bool {
        let stamp = Self.stamp(of: files)
        do {
            let context = try files.makeServerContext()
            let generation = state.withLock { state in
                state.context = context
                state.stamp = stamp
                state.generation += 1
                return state.generation
            }
            logger.notice(
                "TLS certificate reloaded",
                metadata: ["tls.cert": "\(files.certificatePath)", "tls.generation": "\(generation)"])
            return true
        } catch {
            // Remember the stamp anyway: the same bad files are not retried (and logged) on every poll.
            state.withLock { $0.stamp = stamp }
            logger.error(
                "TLS reload failed, keeping the previous certificate",
                metadata: ["tls.cert": "\(files.certificatePath)", "error": "\(error)"])
            return false
        }
    }

    /// Calls ``reload()`` when either file changed (modification time, size or inode) since the last attempt.
    ///
    /// - Returns: whether a new context was taken.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        let stamp = Self.stamp(of: files)
        guard stamp != state.withLock({ $0.stamp }) else { return false }
        return reload()
    }

    /// Modification time (ns), size and inode of both files; zeros for a missing file.
    private static func stamp(of files: TLSFiles) -> [Int64] {
        [files.certificatePath, files.privateKeyPath].flatMap { path -> [Int64] in
            var info = stat()
            guard stat(path, &info) == 0 else { return [0, 0, 0] }
            let nanos = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            return [nanos, Int64(info.st_size), Int64(info.st_ino)]
        }
    }
}
