import CoinDailyAuthCore
import CoinDailyProtocol
import Foundation
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import CoinDailyGateway

@Suite("PlainConnectionHandler: authentication")
struct PlainConnectionAuthTests {
    @Test("before auth, ping is answered with AUTH_REQUIRED, id echoed")
    func pingBeforeAuth() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        try await channel.send(#"{"type":"ping","id":"p1"}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"error","error":{"code":"AUTH_REQUIRED","message":"authentication required: send {\"type\":\"auth\",\"token\":\"<jwt>\"} first"},"id":"p1","timestamp":1700000000000}"#
        )
        try await harness.shutdown()
    }

    @Test("an unmasked client frame is read too")
    func unmasked() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        try await channel.send(#"{"type":"subscribe_market_sentiment","data":{"tokens":["BTC"]}}"#, masked: false)
        #expect(
            try await channel.nextText()
                == #"{"type":"error","error":{"code":"AUTH_REQUIRED","message":"authentication required: send {\"type\":\"auth\",\"token\":\"<jwt>\"} first"},"timestamp":1700000000000}"#
        )
        try await harness.shutdown()
    }

    @Test("a good token gets auth_success with the user id, sorted roles and expiry")
    func authSuccess() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        let (token, expiresAt) = try await harness.token("alice", roles: ["user", "editor", "admin"])
        #expect(
            try await channel.authenticate(token, id: "a1")
                == #"{"type":"auth_success","data":{"expiresAt":\#(expiresAt),"roles":["admin","editor","user"],"userId":"alice"},"id":"a1","timestamp":1700000000000}"#
        )
        try await channel.send(#"{"type":"ping","id":"p2"}"#)
        #expect(try await channel.nextText() == #"{"type":"pong","id":"p2","timestamp":1700000000000}"#)
        try await harness.shutdown()
    }

    @Test("the token may also come as data.token")
    func authDataToken() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        let (token, expiresAt) = try await harness.token("bob")
        try await channel.send(#"{"type":"auth","data":{"token":"\#(token)"}}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"auth_success","data":{"expiresAt":\#(expiresAt),"roles":["user"],"userId":"bob"},"timestamp":1700000000000}"#
        )
        try await harness.shutdown()
    }

    @Test("a forged token gets auth_error AUTH_FAILED, and the connection stays unauthenticated")
    func forgedToken() async throws {
        let harness = try await GatewayHarness.make()
        let forger = try await GatewayHarness.make()
        let channel = try await harness.connect()
        let (forged, _) = try await forger.token("alice", roles: ["admin"])
        #expect(
            try await channel.authenticate(forged, id: "a1")
                == #"{"type":"auth_error","error":{"code":"AUTH_FAILED","message":"Authentication failed: unknown signing key"},"id":"a1","timestamp":1700000000000}"#
        )
        try await channel.send(#"{"type":"ping"}"#)
        #expect(try await channel.nextText().contains(#""code":"AUTH_REQUIRED""#))
        try await forger.shutdown()
        try await harness.shutdown()
    }

    @Test("garbage and a missing token are refused with exact messages")
    func badTokens() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        #expect(
            try await channel.authenticate("not-a-jwt", id: "g")
                == #"{"type":"auth_error","error":{"code":"AUTH_FAILED","message":"Authentication failed: malformed token"},"id":"g","timestamp":1700000000000}"#
        )
        try await channel.send(#"{"type":"auth","id":"n"}"#)
        #expect(
            try await channel.nextText()
                == #"{"type":"auth_error","error":{"code":"AUTH_FAILED","message":"Authentication failed: no token given"},"id":"n","timestamp":1700000000000}"#
        )
        try await harness.shutdown()
    }

    @Test("messages that arrive while the token is being verified are answered after auth_success, in order")
    func queuedDuringAuth() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        let (token, expiresAt) = try await harness.token("alice")
        let frames = [
            textFrame(#"{"type":"auth","token":"\#(token)","id":"a1"}"#),
            textFrame(#"{"type":"ping","id":"p1"}"#),
            textFrame(#"{"type":"subscribe_market_sentiment","id":"s1","data":{"tokens":["btc"]}}"#),
            textFrame(#"{"type":"dance","id":"d1"}"#),
            textFrame(#"{"type":"ping","id":"p2"}"#),
        ]
        // All in one event-loop turn: the verification cannot complete in between.
        try await harness.loop.executeInContext {
            for frame in frames { channel.pipeline.syncOperations.fireChannelRead(NIOAny(frame)) }
        }
        var replies: [String] = []
        for _ in 0..<5 { replies.append(try await channel.nextText()) }
        #expect(
            replies == [
                #"{"type":"auth_success","data":{"expiresAt":\#(expiresAt),"roles":["user"],"userId":"alice"},"id":"a1","timestamp":1700000000000}"#,
                #"{"type":"pong","id":"p1","timestamp":1700000000000}"#,
                #"{"type":"subscription_confirmed","data":{"channel":"market_sentiment","tokens":["BTC"]},"id":"s1","timestamp":1700000000000}"#,
                #"{"type":"error","error":{"code":"INVALID_MESSAGE_FORMAT","message":"unknown message type 'dance'"},"id":"d1","timestamp":1700000000000}"#,
                #"{"type":"pong","id":"p2","timestamp":1700000000000}"#,
            ])
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        try await harness.shutdown()
    }

    @Test("more messages than maxPendingMessagesDuringAuth while verifying are refused with RATE_LIMIT_EXCEEDED")
    func tooManyQueued() async throws {
        let harness = try await GatewayHarness.make(configuration: .init(maxPendingMessagesDuringAuth: 1))
        let channel = try await harness.connect()
        let (token, _) = try await harness.token("alice")
        let frames = [
            textFrame(#"{"type":"auth","token":"\#(token)","id":"a1"}"#),
            textFrame(#"{"type":"ping","id":"p1"}"#),
            textFrame(#"{"type":"ping","id":"p2"}"#),
        ]
        try await harness.loop.executeInContext {
            for frame in frames { channel.pipeline.syncOperations.fireChannelRead(NIOAny(frame)) }
        }
        #expect(
            try await channel.nextText()
                == #"{"type":"error","error":{"code":"RATE_LIMIT_EXCEEDED","message":"too many messages while authenticating"},"id":"p2","timestamp":1700000000000}"#
        )
        #expect(try await channel.nextText().hasPrefix(#"{"type":"auth_success""#))
        #expect(try await channel.nextText() == #"{"type":"pong","id":"p1","timestamp":1700000000000}"#)
        try await harness.shutdown()
    }

    @Test("no auth before the deadline: CONNECTION_TIMEOUT, then a close frame with 1008")
    func authTimeout() async throws {
        let harness = try await GatewayHarness.make(configuration: .init(authTimeout: .seconds(10)))
        let channel = try await harness.connect()
        try await harness.withSession(channel) { $0.sweep(now: .now() + .seconds(5)) }
        #expect(try await channel.drainFrames() == [])
        try await harness.withSession(channel) { $0.sweep(now: .now() + .seconds(11)) }
        let frames = try await channel.drainFrames()
        try #require(frames.count == 2)
        #expect(
            frames[0].text
                == #"{"type":"error","error":{"code":"CONNECTION_TIMEOUT","message":"authentication timeout: send an auth message first"},"timestamp":1700000000000}"#
        )
        #expect(frames[1].opcode == 0x8)
        #expect(frames[1].close?.code == 1008)
        #expect(frames[1].close?.reason == "authentication timeout")
        #expect(!channel.isActive)
        try await harness.shutdown()
    }

    @Test("an authenticated connection whose token expires gets AUTH_FAILED and close 1008")
    func tokenExpiry() async throws {
        let harness = try await GatewayHarness.make()
        let channel = try await harness.connect()
        let (token, expiresAt) = try await harness.token("alice", ttl: 600)
        _ = try await channel.authenticate(token)
        try await harness.withSession(channel) { $0.sweep(now: .now() + .seconds(11)) }
        #expect(try await channel.drainFrames() == [])
        harness.clock.now = expiresAt
        try await harness.withSession(channel) { $0.sweep(now: .now()) }
        let frames = try await channel.drainFrames()
        try #require(frames.count == 2)
        #expect(
            frames[0].text
                == #"{"type":"error","error":{"code":"AUTH_FAILED","message":"token expired: reconnect with a fresh token"},"timestamp":\#(expiresAt)}"#
        )
        #expect(frames[1].close?.code == 1008)
        #expect(frames[1].close?.reason == "token expired")
        try await harness.shutdown()
    }

    @Test("no frame from the client within the idle timeout closes with 4000")
    func idleTimeout() async throws {
        let harness = try await GatewayHarness.make(configuration: .init(idleTimeout: .seconds(60)))
        let channel = try await harness.connect()
        let (token, _) = try await harness.token()
        _ = try await channel.authenticate(token)
        try await harness.withSession(channel) { $0.sweep(now: .now() + .seconds(61)) }
        let frames = try await channel.drainFrames()
        #expect(frames.map(\.opcode) == [0x8])
        #expect(frames.first?.close?.code == 4000)
        #expect(frames.first?.close?.reason == "idle timeout")
        try await harness.shutdown()
    }
}
