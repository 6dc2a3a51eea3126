import CoinDailyAuthCore
import Foundation
import JWTKit
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("SigningKeyStore and JWKSet")
struct SigningKeyStoreTests {
    @Test("a first load creates one key; a second load of the same directory gives the same key")
    func persists() throws {
        let directory = TemporaryDirectory()
        let created = try SigningKeyStore.loadOrCreate(
            directory: directory.url, now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(created.keys.count == 1)
        let key = created.keys[0]
        #expect(key.createdAt == 1_700_000_000)
        #expect(key.kid.hasPrefix("ed25519-1700000000-"))
        #expect(key.kid.count == "ed25519-1700000000-".count + 8)
        #expect(Base64URL.decode(Substring(key.d))?.count == 32)
        #expect(Base64URL.decode(Substring(key.x))?.count == 32)

        let loaded = try SigningKeyStore.loadOrCreate(directory: directory.url)
        #expect(loaded.keys == created.keys)
        #expect(loaded.jwks == created.jwks)
    }

    @Test("the key file is readable by its owner only, and no temporary file is left")
    func fileMode() throws {
        let directory = TemporaryDirectory()
        _ = try SigningKeyStore.loadOrCreate(directory: directory.url)
        let path = directory.url.appendingPathComponent("signing-keys.json").path
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    @Test("addKey puts the new key first; both verify; a reload keeps the order")
    func rotation() async throws {
        let directory = TemporaryDirectory()
        var store = try SigningKeyStore.loadOrCreate(directory: directory.url, now: Date(timeIntervalSince1970: 1_000))
        let oldKid = store.keys[0].kid
        let oldIssuer = try await TokenIssuer(store: store)
        try store.addKey(now: Date(timeIntervalSince1970: 2_000))
        #expect(store.keys.map(\.createdAt) == [2_000, 1_000])
        #expect(store.keys[1].kid == oldKid)
        #expect(store.jwks.keys.map(\.kid) == store.keys.map(\.kid))

        let reloaded = try SigningKeyStore.loadOrCreate(directory: directory.url)
        #expect(reloaded.keys == store.keys)

        let issuer = try await TokenIssuer(store: reloaded)
        #expect(issuer.signingKeyID == store.keys[0].kid)
        let verifier = try await TokenVerifier()
        await verifier.replaceKeys(with: reloaded.jwks)
        let newToken = try await issuer.sign(claims(id: "new"))
        let oldToken = try await oldIssuer.sign(claims(id: "old"))
        #expect(try TokenVerifier.header(of: newToken).kid == store.keys[0].kid)
        #expect(try await verifier.verify(newToken).tokenId == "new")
        #expect(try await verifier.verify(oldToken).tokenId == "old")
    }

    @Test("an unreadable key file is an error, not a silent new key")
    func unreadable() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(at: directory.url, withIntermediateDirectories: true)
        let file = directory.url.appendingPathComponent("signing-keys.json")
        try Data("not json".utf8).write(to: file)
        #expect(throws: SigningKeyStore.StoreError.self) { try SigningKeyStore.loadOrCreate(directory: directory.url) }
        #expect(try Data(contentsOf: file) == Data("not json".utf8))
    }

    @Test("JWKSet JSON: exact document, and parse(json()) round trips")
    func jwksJSON() throws {
        let jwks = JWKSet(keys: [.init(kid: "k1", publicKey: Data(repeating: 0, count: 32))])
        #expect(
            jwks.json()
                == #"{"keys":[{"alg":"EdDSA","crv":"Ed25519","kid":"k1","kty":"OKP","use":"sig","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#
        )
        #expect(try JWKSet.parse(jwks.json()) == jwks)

        let directory = TemporaryDirectory()
        let store = try SigningKeyStore.loadOrCreate(directory: directory.url)
        #expect(try JWKSet.parse(store.jwks.json()) == store.jwks)
        #expect(store.jwks.keys.map(\.x) == [store.keys[0].x])
        #expect(throws: (any Error).self) { try JWKSet.parse(#"{"keys":[{"kid":"x"}]}"#) }
    }

    @Test("Base64URL uses - and _ without padding and decodes what it encodes")
    func base64URL() {
        #expect(Base64URL.encode(Data([0xFB, 0xFF, 0xBF])) == "-_-_")
        #expect(Base64URL.encode(Data([0xFF])) == "_w")
        #expect(Base64URL.decode("-_-_") == Data([0xFB, 0xFF, 0xBF]))
        #expect(Base64URL.decode("_w") == Data([0xFF]))
        #expect(Base64URL.decode("***") == nil)
    }
}
