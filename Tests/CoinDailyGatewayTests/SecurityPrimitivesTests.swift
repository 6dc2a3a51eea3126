import NIOCore
import NIOHTTP1
import Testing

@testable import CoinDailyGateway

@Suite("Origins, client IPs, token buckets, connection guard")
struct SecurityPrimitivesTests {
    @Test("origin patterns: any, exact, port wildcard, subdomain wildcard; no Origin header is allowed")
    func origins() {
        let policy = OriginPolicy(allowed: ["https://app.coindaily.io", "http://localhost:*", "https://*.example.org"])
        #expect(policy.allows(nil))
        #expect(policy.allows("https://app.coindaily.io"))
        #expect(policy.allows("HTTPS://APP.COINDAILY.IO"))
        #expect(!policy.allows("https://app.coindaily.io.evil.com"))
        #expect(!policy.allows("http://app.coindaily.io"))
        #expect(policy.allows("http://localhost"))
        #expect(policy.allows("http://localhost:3000"))
        #expect(!policy.allows("http://localhost:3000x"))
        #expect(!policy.allows("http://localhost.evil.com"))
        #expect(policy.allows("https://a.example.org"))
        #expect(policy.allows("https://a.b.example.org"))
        #expect(!policy.allows("https://example.org"))
        #expect(!policy.allows("https://evilexample.org"))
        #expect(!policy.allows("null"))
        #expect(OriginPolicy(allowed: ["*"]).allows("null"))
    }

    @Test("IP ranges: IPv4 and IPv6 CIDRs, single addresses, IPv4-mapped IPv6, garbage")
    func ranges() throws {
        let v4 = try #require(IPRange("10.0.0.0/8"))
        #expect(v4.contains("10.1.2.3"))
        #expect(!v4.contains("11.0.0.1"))
        #expect(v4.contains("::ffff:10.9.9.9"))
        let one = try #require(IPRange("127.0.0.1"))
        #expect(one.contains("127.0.0.1") && !one.contains("127.0.0.2"))
        let v6 = try #require(IPRange("fd00::/8"))
        #expect(v6.contains("fd12::1") && !v6.contains("fe80::1"))
        #expect(IPRange("10.0.0.0/33") == nil)
        #expect(IPRange("not-an-ip") == nil)
        #expect(ClientAddressResolver.invalid(["10.0.0.0/8", "nope"]) == ["nope"])
    }

    @Test("X-Forwarded-For counts only from trusted proxies; the right-most untrusted hop is the client")
    func forwardedFor() throws {
        let peer = try SocketAddress(ipAddress: "127.0.0.1", port: 5000)
        var headers = HTTPHeaders()
        headers.add(name: "X-Forwarded-For", value: "6.6.6.6, 10.0.0.7")
        let untrusted = ClientAddressResolver(trustedProxies: [])
        #expect(untrusted.clientIP(peer: peer, headers: headers) == "127.0.0.1")
        let trusted = ClientAddressResolver(trustedProxies: ["127.0.0.1"])
        #expect(trusted.clientIP(peer: peer, headers: headers) == "10.0.0.7")
        let chain = ClientAddressResolver(trustedProxies: ["127.0.0.1", "10.0.0.0/8"])
        #expect(chain.clientIP(peer: peer, headers: headers) == "6.6.6.6")
        let other = try SocketAddress(ipAddress: "192.0.2.1", port: 5000)
        #expect(trusted.clientIP(peer: other, headers: headers) == "192.0.2.1")
        var junk = HTTPHeaders()
        junk.add(name: "X-Forwarded-For", value: "garbage")
        #expect(trusted.clientIP(peer: peer, headers: junk) == "127.0.0.1")
    }

    @Test("a token bucket admits its burst, then its rate")
    func bucket() {
        var bucket = TokenBucket(capacity: 3, nowNanos: 0)
        var taken: [Bool] = []
        for at: UInt64 in [0, 0, 0, 0, 50_000_000, 100_000_000, 100_000_000] {
            taken.append(bucket.take(nowNanos: at, rate: 10, capacity: 3))
        }
        // The burst of 3, then nothing until 100 ms have brought one token back.
        #expect(taken == [true, true, true, false, false, true, false])
        let full = bucket.isFull(nowNanos: 10_000_000_000, rate: 10, capacity: 3)
        #expect(full)
    }

    @Test("the guard counts connections per IP and per user, limits attempts, and releases slots")
    func guardLimits() {
        var settings = SecuritySettings()
        settings.maxConnectionsPerIP = 2
        settings.maxConnectionsPerUser = 1
        settings.connectionAttemptsPerIPPerSecond = 2  // bursts of 4
        let connectionGuard = ConnectionGuard(settings: settings, metrics: GatewayMetrics())
        #expect(connectionGuard.admit(ip: "1.1.1.1", nowNanos: 1) == nil)
        #expect(connectionGuard.admit(ip: "1.1.1.1", nowNanos: 1) == nil)
        #expect(connectionGuard.admit(ip: "1.1.1.1", nowNanos: 1) == .tooManyConnectionsFromIP(ip: "1.1.1.1", limit: 2))
        connectionGuard.release(ip: "1.1.1.1")
        #expect(connectionGuard.openConnections(ip: "1.1.1.1") == 1)
        #expect(connectionGuard.admit(ip: "1.1.1.1", nowNanos: 1) == nil)
        // Four attempts in the burst are spent: the fifth waits for the rate.
        #expect(connectionGuard.admit(ip: "1.1.1.1", nowNanos: 1) == .tooManyAttempts(ip: "1.1.1.1"))
        #expect(connectionGuard.admit(ip: "2.2.2.2", nowNanos: 1) == nil)
        #expect(connectionGuard.admitUser("alice"))
        #expect(!connectionGuard.admitUser("alice"))
        #expect(connectionGuard.admitUser("bob"))
        connectionGuard.releaseUser("alice")
        #expect(connectionGuard.admitUser("alice"))
        var headers = HTTPHeaders()
        headers.add(name: "Origin", value: "https://evil.example")
        #expect(ConnectionGuard(settings: SecuritySettings(), metrics: GatewayMetrics()).checkOrigin(headers) == nil)
        var strict = SecuritySettings()
        strict.allowedOrigins = ["https://app.coindaily.io"]
        #expect(
            ConnectionGuard(settings: strict, metrics: GatewayMetrics()).checkOrigin(headers)
                == .originNotAllowed("https://evil.example"))
    }
}
