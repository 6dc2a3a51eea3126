import CoinDailyProtocol
import NIOCore

/// Decodes `text` as one client message, with the built-in token universe unless told otherwise.
func decode(
    _ text: String, limits: ClientRequestLimits = .init(),
    isKnownToken: (String) -> Bool = { TokenSymbol.builtIn.contains($0) }
) -> (id: String?, result: Result<ClientRequest, ProtocolError>) {
    PlainMessage.decode(ByteBuffer(string: text), limits: limits, isKnownToken: isKnownToken)
}

/// The request `text` decodes to, or `nil` when it is an error.
func request(_ text: String, limits: ClientRequestLimits = .init()) -> ClientRequest? {
    try? decode(text, limits: limits).result.get()
}

/// The error `text` decodes to, or `nil` when it is a request.
func failure(_ text: String, limits: ClientRequestLimits = .init()) -> ProtocolError? {
    if case .failure(let error) = decode(text, limits: limits).result { return error }
    return nil
}

extension ByteBuffer {
    /// The readable bytes as a UTF-8 string.
    var text: String { String(buffer: self) }
}
