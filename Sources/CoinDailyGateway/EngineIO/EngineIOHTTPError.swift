import NIOHTTP1

/// The HTTP errors of the Engine.IO v4 server, with the JSON body `{"code":N,"message":…}` Socket.IO
/// servers send.
enum EngineIOHTTPError: Error, Equatable {
    case unknownTransport
    case unknownSession
    case badHandshakeMethod
    case badRequest(String)
    case unsupportedProtocolVersion
    case payloadTooLarge

    var status: HTTPResponseStatus { self == .payloadTooLarge ? .payloadTooLarge : .badRequest }

    var code: Int {
        switch self {
        case .unknownTransport: 0
        case .unknownSession: 1
        case .badHandshakeMethod: 2
        case .badRequest, .payloadTooLarge: 3
        case .unsupportedProtocolVersion: 5
        }
    }

    var message: String {
        switch self {
        case .unknownTransport: "Transport unknown"
        case .unknownSession: "Session ID unknown"
        case .badHandshakeMethod: "Bad handshake method"
        case .badRequest(let why): "Bad request: \(why)"
        case .unsupportedProtocolVersion: "Unsupported protocol version"
        case .payloadTooLarge: "Payload too large"
        }
    }

    var body: String { #"{"code":\#(code),"message":"\#(message)"}"# }
}
