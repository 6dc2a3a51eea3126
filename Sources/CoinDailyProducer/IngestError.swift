/// Why an ingest request (HTTP body or stream entry) was not accepted.
public enum IngestError: Error, Equatable, Sendable {
    /// The input is wrong: 400 over HTTP, a dead-letter entry on the stream path. Nothing was applied.
    case invalid(message: String, field: String?, index: Int?)
    /// The input is fine but could not be published (Redis unreachable): 503 over HTTP; the stream
    /// entry stays pending and is retried.
    case unavailable(String)

    /// The message for the client.
    public var message: String {
        switch self {
        case .invalid(let message, _, _): message
        case .unavailable(let message): message
        }
    }
}
