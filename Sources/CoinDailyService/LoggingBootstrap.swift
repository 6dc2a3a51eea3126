import Logging

/// Sets up swift-log once per process: lines on standard error at the given level.
public enum LoggingBootstrap {
    /// Bootstraps logging; returns a logger labelled `label`.
    ///
    /// - Parameters:
    ///   - label: the process name (`coindaily-gateway`, …).
    ///   - level: `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`; unknown values mean `info`.
    public static func bootstrap(label: String, level: String) -> Logger {
        let logLevel = Logger.Level(rawValue: level.lowercased()) ?? .info
        LoggingSystem.bootstrap { name in
            var handler = StreamLogHandler.standardError(label: name)
            handler.logLevel = logLevel
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}
