import Dispatch
import Foundation
import Logging
import ServiceLifecycle

/// Keeps a ``ReloadableTLSContext`` up to date: polls the files' modification times every
/// `pollInterval`, and reloads at once on SIGHUP (when `reloadOnSIGHUP`; SIGHUP then no longer ends the
/// process). Stops on graceful shutdown.
public struct TLSReloadService: Service {
    private let context: ReloadableTLSContext
    private let pollInterval: Duration
    private let reloadOnSIGHUP: Bool
    private let logger: Logger

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - context: the context to reload.
    ///   - pollInterval: how often the files' modification times are checked (default 5 s).
    ///   - reloadOnSIGHUP: whether SIGHUP reloads at once (default `true`).
    ///   - logger: where reloads and failures are logged.
    public init(
        context: ReloadableTLSContext, pollInterval: Duration = .seconds(5), reloadOnSIGHUP: Bool = true, logger: Logger
    ) {
        self.context = context
        self.pollInterval = pollInterval
        self.reloadOnSIGHUP = reloadOnSIGHUP
        self.logger = logger
    }

    public func run() async throws {
        var source: (any DispatchSourceSignal)?
        if reloadOnSIGHUP {
            signal(SIGHUP, SIG_IGN)
            let signalSource = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
            let context = self.context
            let logger = self.logger
            signalSource.setEventHandler {
                logger.info("SIGHUP: reloading the TLS certificate")
                context.reload()
            }
            signalSource.resume()
            source = signalSource
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: pollInterval)
                if Task.isCancelled { break }
                context.reloadIfChanged()
            }
        }
        source?.cancel()
    }
}
