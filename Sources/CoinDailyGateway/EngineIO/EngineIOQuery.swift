/// The query parameters of an Engine.IO request, in any order.
struct EngineIOQuery: Equatable {
    var eio: String?
    var transport: String?
    var sid: String?

    /// Parses the query string of `uri`.
    init(uri: String) {
        let parts = uri.split(separator: "?", maxSplits: 1)
        guard parts.count == 2 else { return }
        for pair in parts[1].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(kv[0])
            let value = kv.count > 1 ? String(kv[1]).removingPercentEncodingIfNeeded : ""
            switch key {
            case "EIO": eio = value
            case "transport": transport = value
            case "sid": sid = value
            default: break
            }
        }
    }

    /// Whether the query asks for Engine.IO at all.
    static func isEngineIO(uri: String) -> Bool {
        guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return false }
        return query.split(separator: "&").contains { $0.hasPrefix("EIO=") }
    }

    /// Checks `EIO=4` and the transport.
    func validate(expecting transportName: String? = nil) -> EngineIOHTTPError? {
        guard eio == "4" else { return .unsupportedProtocolVersion }
        guard let transport, transport == "polling" || transport == "websocket" else { return .unknownTransport }
        if let transportName, transport != transportName { return .badRequest("transport must be \(transportName)") }
        return nil
    }
}

extension String {
    fileprivate var removingPercentEncodingIfNeeded: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let c = iterator.next() {
            if c == UInt8(ascii: "%"), let h = iterator.next(), let l = iterator.next(),
                let value = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
