import CoinDailyProtocol

/// Reads heartbeat keys and the small JSON values the probe looks at.
public enum HeartbeatParsing {
    /// `cd:heartbeat:` — the prefix of every heartbeat key.
    public static let prefix = "cd:heartbeat:"

    /// The sighting for a key `cd:heartbeat:<service>:<instance>` and its JSON value; `nil` when the
    /// key does not have that shape. A value that is not JSON still counts (the key exists: the
    /// process is alive), without `at` or `connections`.
    public static func sighting(key: String, value: String?) -> HeartbeatSighting? {
        guard key.hasPrefix(prefix) else { return nil }
        let rest = key.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let service = String(rest[..<colon])
        let instance = String(rest[rest.index(after: colon)...])
        guard !service.isEmpty, !instance.isEmpty else { return nil }
        var sighting = HeartbeatSighting(service: service, instance: instance)
        if let value, let json = try? JSONValue.parse(value) {
            sighting.at = json["at"]?.numberValue.flatMap { Int64(exactly: $0.rounded()) }
            sighting.connections = json["connections"]?.numberValue.flatMap { Int(exactly: $0.rounded()) }
        }
        return sighting
    }

    /// A string member of a JSON object text, or `nil`.
    public static func stringField(_ name: String, in json: String) -> String? {
        (try? JSONValue.parse(json))?[name]?.stringValue
    }
}
