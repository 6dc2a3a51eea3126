import CoinDailyProtocol
import NIOCore

/// A validated `POST /v1/tokens` body: `{"sub": "alice", "roles": ["user"], "ttl": 3600}`.
public struct TokenRequest: Sendable, Equatable {
    /// The user id.
    public var sub: String
    /// Role names.
    public var roles: [String]
    /// Lifetime in seconds.
    public var ttl: Int

    /// Parses and validates a body.
    ///
    /// - Throws: ``AuthAPIError`` `INVALID_REQUEST` naming the field that is wrong.
    public static func parse(_ body: ByteBuffer, defaultTTL: Int, maxTTL: Int) throws(AuthAPIError) -> TokenRequest {
        guard let value = try? JSONValue.parse(body), let object = value.objectValue else {
            throw .invalid("body must be a JSON object")
        }
        guard let sub = object["sub"]?.stringValue, !sub.isEmpty, sub.count <= 256,
            !sub.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw .invalid("field 'sub' must be a non-empty string of at most 256 characters")
        }
        var roles: [String] = []
        if let rolesValue = object["roles"], !rolesValue.isNull {
            guard let array = rolesValue.arrayValue, array.count <= 16 else {
                throw .invalid("field 'roles' must be an array of at most 16 role names")
            }
            for element in array {
                guard let role = element.stringValue, Self.isValidRole(role) else {
                    throw .invalid("field 'roles' must contain role names (letters, digits, '_' or '-', at most 32)")
                }
                if !roles.contains(role) { roles.append(role) }
            }
        }
        if roles.isEmpty { roles = ["user"] }
        var ttl = defaultTTL
        if let ttlValue = object["ttl"], !ttlValue.isNull {
            guard let n = ttlValue.numberValue, n == n.rounded(), n >= 1, n <= Double(maxTTL) else {
                throw .invalid("field 'ttl' must be a whole number of seconds from 1 to \(maxTTL)")
            }
            ttl = Int(n)
        }
        return TokenRequest(sub: sub, roles: roles, ttl: ttl)
    }

    static func isValidRole(_ role: String) -> Bool {
        !role.isEmpty && role.utf8.count <= 32
            && role.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D
            }
    }
}
