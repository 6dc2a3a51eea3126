import Foundation
import JWTKit

/// The public half of the auth service's Ed25519 keys, as a JWKS document (RFC 7517 / RFC 8037).
public struct JWKSet: Codable, Sendable, Equatable {
    /// One public key.
    public struct Key: Codable, Sendable, Equatable {
        /// Always `OKP`.
        public var kty: String
        /// Always `Ed25519`.
        public var crv: String
        /// The public key, base64url without padding.
        public var x: String
        /// The key id tokens name in their header.
        public var kid: String
        /// Always `EdDSA`.
        public var alg: String
        /// Always `sig`.
        public var use: String

        /// An Ed25519 signing key's JWK.
        public init(kid: String, publicKey raw: Data) {
            self.kty = "OKP"
            self.crv = "Ed25519"
            self.x = Base64URL.encode(raw)
            self.kid = kid
            self.alg = "EdDSA"
            self.use = "sig"
        }
    }

    /// The keys, newest first.
    public var keys: [Key]

    /// Creates a set.
    public init(keys: [Key]) { self.keys = keys }

    /// The JSON document.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{\"keys\":[]}".utf8), as: UTF8.self)
    }

    /// `own` plus the keys of an `HGETALL cd:auth:jwks` reply (alternating kid and a JWKS document),
    /// without duplicates; entries that do not parse are skipped.
    public static func merging(_ own: JWKSet, hashReply: [String]) -> JWKSet {
        var keys = own.keys
        var seen = Set(keys.map(\.kid))
        var index = 1
        while index < hashReply.count {
            if let set = try? JWKSet.parse(hashReply[index]) {
                for key in set.keys where !seen.contains(key.kid) {
                    keys.append(key)
                    seen.insert(key.kid)
                }
            }
            index += 2
        }
        return JWKSet(keys: keys)
    }

    /// Parses a JWKS document.
    public static func parse(_ json: String) throws -> JWKSet {
        try JSONDecoder().decode(JWKSet.self, from: Data(json.utf8))
    }
}

/// base64url without padding (RFC 4648 §5).
public enum Base64URL {
    /// Encodes bytes.
    public static func encode<D: DataProtocol>(_ bytes: D) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes a string; `nil` when it is not base64url.
    public static func decode(_ string: Substring) -> Data? {
        var s = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.utf8.count % 4 != 0 { s.append("=") }
        return Data(base64Encoded: s)
    }
}
