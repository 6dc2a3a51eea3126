import CoinDailyProtocol
import NIOCore

/// A validated `POST /v1/revoke` body: `{"jti": "…", "exp": <unix ms, optional>}` or `{"sub": "…"}`.
public enum RevokeRequest: Sendable, Equatable {
    /// One token; `expiresAtMillis` is `nil` when the body gave no `exp`.
    case token(id: String, expiresAtMillis: Int64?)
    /// Every token of a user issued up to now, and the user's refresh-token families.
    case subject(String)

    /// Parses and validates a body.
    ///
    /// - Throws: ``AuthAPIError`` `INVALID_REQUEST` saying what is wrong.
    public static func parse(_ body: ByteBuffer) throws(AuthAPIError) -> RevokeRequest {
        guard let value = try? JSONValue.parse(body), let object = value.objectValue else {
            throw .invalid("body must be a JSON object: {\"jti\": \"...\", \"exp\": <unix ms>} or {\"sub\": \"...\"}")
        }
        let jti = object["jti"], sub = object["sub"]
        switch (jti, sub) {
        case (.some, .some):
            throw .invalid("give either 'jti' or 'sub', not both")
        case (let jti?, nil):
            guard let id = jti.stringValue, Self.isValidID(id) else {
                throw .invalid("field 'jti' must be a non-empty string of at most 256 characters")
            }
            var exp: Int64?
            if let expValue = object["exp"], !expValue.isNull {
                guard let n = expValue.numberValue, n == n.rounded(), n > 0, n < 1e15 else {
                    throw .invalid("field 'exp' must be the token's expiry in Unix milliseconds")
                }
                exp = Int64(n)
            }
            return .token(id: id, expiresAtMillis: exp)
        case (nil, let sub?):
            guard let user = sub.stringValue, Self.isValidID(user) else {
                throw .invalid("field 'sub' must be a non-empty string of at most 256 characters")
            }
            return .subject(user)
        case (nil, nil):
            throw .invalid("body must name a 'jti' or a 'sub'")
        }
    }

    private static func isValidID(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 256 && !s.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
