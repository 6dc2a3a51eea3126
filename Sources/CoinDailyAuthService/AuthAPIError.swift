import Hummingbird
import NIOCore

/// An error the auth API answers with: an HTTP status and `{"error":{"code","message"}}`.
public struct AuthAPIError: Error, HTTPResponseError, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable code: `UNAUTHORIZED`, `INVALID_REQUEST`, `INVALID_REFRESH_TOKEN`, `REFRESH_TOKEN_REUSED`,
    /// `UNAVAILABLE`, `INTERNAL`.
    public var code: String
    /// What went wrong.
    public var message: String

    /// A missing or wrong API key.
    public static let unauthorized = AuthAPIError(
        status: .unauthorized, code: "UNAUTHORIZED", message: "missing or invalid API key (Authorization: Bearer <key>)")

    /// A bad request body.
    public static func invalid(_ message: String) -> AuthAPIError {
        AuthAPIError(status: .badRequest, code: "INVALID_REQUEST", message: message)
    }

    /// A refresh token that is unknown, expired, malformed or of a revoked family.
    public static func invalidRefreshToken(_ message: String = "refresh token unknown, used or expired") -> AuthAPIError {
        AuthAPIError(status: .unauthorized, code: "INVALID_REFRESH_TOKEN", message: message)
    }

    /// A refresh token presented a second time: its family and its access tokens were revoked.
    public static let refreshTokenReused = AuthAPIError(
        status: .unauthorized, code: "REFRESH_TOKEN_REUSED",
        message: "refresh token already used: every token of its family was revoked, sign in again")

    /// Something on the server's side failed (for example the key store could not be written).
    public static func internalError(_ message: String) -> AuthAPIError {
        AuthAPIError(status: .internalServerError, code: "INTERNAL", message: message)
    }

    /// Redis (refresh token storage) is unreachable.
    public static let unavailable = AuthAPIError(
        status: .serviceUnavailable, code: "UNAVAILABLE", message: "token storage unavailable, retry")

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = #"{"error":{"code":"\#(code)","message":\#(jsonString(message))}}"#
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    private func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
