import NIOCore
import Testing

@testable import CoinDailyRedis

@Suite("RedisConfiguration")
struct RedisConfigurationTests {
    @Test("defaults are as documented")
    func defaults() {
        let configuration = RedisConfiguration()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6379)
        #expect(configuration.database == 0)
        #expect(configuration.password == nil)
        #expect(configuration.commandTimeout == nil)
        #expect(configuration.reconnectBackoffInitial == .milliseconds(100))
        #expect(configuration.reconnectBackoffMax == .seconds(5))
        #expect(configuration.maxPendingCommands == 10_000)
        #expect(configuration.queueWhileDisconnected)
    }

    @Test("parses full and partial redis:// URLs")
    func parsesURLs() throws {
        let full = try RedisConfiguration(url: "redis://alice:s%40cret@redis.internal:6380/3")
        #expect(full.host == "redis.internal")
        #expect(full.port == 6380)
        #expect(full.username == "alice")
        #expect(full.password == "s@cret")
        #expect(full.database == 3)

        let passwordOnly = try RedisConfiguration(url: "redis://:pw@10.0.0.1:7000")
        #expect(passwordOnly.username == nil)
        #expect(passwordOnly.password == "pw")
        #expect(passwordOnly.host == "10.0.0.1")
        #expect(passwordOnly.port == 7000)
        #expect(passwordOnly.database == 0)

        let bare = try RedisConfiguration(url: "redis://localhost")
        #expect(bare.host == "localhost")
        #expect(bare.port == 6379)

        let slash = try RedisConfiguration(url: "redis://localhost:1234/")
        #expect(slash.port == 1234)
        #expect(slash.database == 0)

        let ipv6 = try RedisConfiguration(url: "redis://[::1]:6390/1")
        #expect(ipv6.host == "::1")
        #expect(ipv6.port == 6390)
        #expect(ipv6.database == 1)
    }

    @Test("description never shows the password")
    func redactedDescription() throws {
        let configuration = try RedisConfiguration(url: "redis://alice:hunter2@cache:6380/1")
        #expect(configuration.description == "redis://alice@cache:6380/1 password=<redacted>")
        #expect(!"\(configuration)".contains("hunter2"))
    }

    @Test(
        "rejects anything else",
        arguments: [
            "http://localhost:6379",
            "rediss://localhost:6379",
            "localhost:6379",
            "redis://",
            "redis://:6379",
            "redis://host:0",
            "redis://host:65536",
            "redis://host:port",
            "redis://host:63a9",
            "redis://host:6379/db",
            "redis://host:6379/-1",
            "redis://host:6379/1/2",
            "redis://host:6379?timeout=1",
            "redis://justuser@host:6379",
            "redis://[::1:6379",
            "redis://u:p%4@host",
        ]
    )
    func rejects(url: String) {
        #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
    }

    @Test("a rejected URL's error never shows the password", arguments: ["redis://u:hunter2@host:port", "redis://:hunter2@host:6379/x", "redis://u:hunter2%4@host", "rediss://u:hunter2@host"])
    func rejectionHidesPassword(url: String) {
        do {
            _ = try RedisConfiguration(url: url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(!"\(error)".contains("hunter2"), "\(error)")
            #expect("\(error)".contains("***@host"), "\(error)")
        }
    }
}
