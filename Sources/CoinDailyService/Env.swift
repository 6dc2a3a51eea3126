import Foundation

/// Reads configuration defaults from environment variables, so every flag also has an env form.
///
/// Executables write `@Option var port: Int = Env.int("GATEWAY_PORT", 4000)`. A value that may be secret
/// (a password in the Redis URL, a signing secret) is never a flag's default, because `--help` prints
/// defaults: the flag is optional and the variable is read when the value is used (``redisURL(_:)``).
public enum Env {
    /// The Redis URL when none is given: a local Redis.
    public static let defaultRedisURL = "redis://127.0.0.1:6379"

    /// The Redis URL: `flag` (`--redis-url`), else `REDIS_URL`, else ``defaultRedisURL``.
    public static func redisURL(_ flag: String?) -> String {
        flag ?? string("REDIS_URL", defaultRedisURL)
    }

    /// The variable's value, or `fallback` when unset or empty.
    public static func string(_ name: String, _ fallback: String) -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return fallback }
        return value
    }

    /// The variable's value, or `nil` when unset or empty.
    public static func optional(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// The variable as an integer, or `fallback` when unset, empty or not an integer.
    public static func int(_ name: String, _ fallback: Int) -> Int {
        optional(name).flatMap { Int($0) } ?? fallback
    }

    /// The variable as a number, or `fallback` when unset or not a number.
    public static func double(_ name: String, _ fallback: Double) -> Double {
        optional(name).flatMap(Double.init) ?? fallback
    }

    /// The variable as a boolean (`1`, `true`, `yes`, `on`), or `fallback` when unset.
    public static func bool(_ name: String, _ fallback: Bool) -> Bool {
        guard let value = optional(name)?.lowercased() else { return fallback }
        return ["1", "true", "yes", "on"].contains(value)
    }
}
