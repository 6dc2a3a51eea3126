import Foundation
import JWTKit

/// The auth service's Ed25519 signing keys, persisted in a directory so a restart keeps them.
///
/// The file `signing-keys.json` (mode 0600) holds every key with its `kid` and creation time; the
/// newest signs. Rotation adds a key (``addKey(now:)``) and keeps the old ones for verification until
/// the auth service retires them (``removeKeys(_:)``).
public struct SigningKeyStore: Sendable {
    /// One stored key.
    public struct StoredKey: Codable, Sendable, Equatable {
        /// The key id.
        public var kid: String
        /// The private key (the 32-byte seed), base64url.
        public var d: String
        /// The public key, base64url.
        public var x: String
        /// Unix seconds.
        public var createdAt: Int64
    }

    /// Errors of the store.
    public enum StoreError: Error, CustomStringConvertible {
        case unreadable(String)
        case unwritable(String)
        public var description: String {
            switch self {
            case .unreadable(let s): "signing key store unreadable: \(s)"
            case .unwritable(let s): "signing key store unwritable: \(s)"
            }
        }
    }

    /// The keys, newest first.
    public private(set) var keys: [StoredKey]
    /// The directory the keys live in.
    public let directory: URL

    private var fileURL: URL { directory.appendingPathComponent("signing-keys.json") }

    /// Loads the keys in `directory`, creating the directory and a first key when there are none.
    public static func loadOrCreate(directory: URL, now: Date = Date()) throws -> SigningKeyStore {
        var store = SigningKeyStore(keys: [], directory: directory)
        let fm = FileManager.default
        if fm.fileExists(atPath: store.fileURL.path) {
            do {
                let data = try Data(contentsOf: store.fileURL)
                store.keys = try JSONDecoder().decode([StoredKey].self, from: data)
                    .sorted { $0.createdAt > $1.createdAt }
            } catch {
                throw StoreError.unreadable("\(store.fileURL.path): \(error)")
            }
        }
        if store.keys.isEmpty {
            try store.addKey(now: now)
        }
        return store
    }

    /// Generates a new key, makes it the signing key and saves the store.
    public mutating func addKey(now: Date = Date()) throws {
        let key = try EdDSA.PrivateKey(curve: .ed25519)
        let stamp = Int64(now.timeIntervalSince1970)
        let random = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let stored = StoredKey(
            kid: "ed25519-\(stamp)-\(random)", d: Base64URL.encode(key.rawRepresentation),
            x: Base64URL.encode(key.publicKey.rawRepresentation), createdAt: stamp)
        keys.insert(stored, at: 0)
        try save()
    }

    /// Removes the keys named in `kids` (never the signing key) and saves the store; the private keys are gone.
    ///
    /// - Returns: the key ids actually removed.
    @discardableResult
    public mutating func removeKeys(_ kids: Set<String>) throws -> [String] {
        let removable = keys.dropFirst().filter { kids.contains($0.kid) }.map(\.kid)
        guard !removable.isEmpty else { return [] }
        keys.removeAll { removable.contains($0.kid) }
        try save()
        return removable
    }

    private func save() throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(keys)
            let tmp = directory.appendingPathComponent("signing-keys.json.tmp")
            guard FileManager.default.createFile(atPath: tmp.path, contents: data, attributes: [.posixPermissions: 0o600])
            else { throw StoreError.unwritable("cannot create \(tmp.path)") }
            guard rename(tmp.path, fileURL.path) == 0 else {
                throw StoreError.unwritable("rename to \(fileURL.path) failed: errno \(errno)")
            }
        } catch {
            throw StoreError.unwritable("\(directory.path): \(error)")
        }
    }

    /// The public keys as a JWKS document.
    public var jwks: JWKSet {
        JWKSet(keys: keys.compactMap { k in Base64URL.decode(Substring(k.x)).map { .init(kid: k.kid, publicKey: $0) } })
    }
}
