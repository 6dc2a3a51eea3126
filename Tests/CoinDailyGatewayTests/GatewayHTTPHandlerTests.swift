import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import CoinDailyGateway

@Suite("GatewayHTTPHandler")
struct GatewayHTTPHandlerTests {
    struct Response {
        var head: HTTPResponseHead
        var body: String
        var ended: Bool
    }

    /// Sends one request and collects the response parts.
    static func request(
        _ method: HTTPMethod, _ uri: String, keepAlive: Bool = true, ready: Bool = true
    ) async throws -> (Response, NIOAsyncTestingChannel) {
        let routes = GatewayHTTPHandler.Routes(
            path: "/ws", engineIO: [], readiness: { (ready, ready ? #"{"ready":true}"# : #"{"ready":false}"#) },
            metrics: { Array("# metrics\n".utf8) }, dashboard: true)
        let channel = try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(GatewayHTTPHandler(routes: routes))
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40001))
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        if !keepAlive { head.headers.add(name: "Connection", value: "close") }
        try await channel.writeInbound(HTTPServerRequestPart.head(head))
        try await channel.writeInbound(HTTPServerRequestPart.end(nil))

        var responseHead: HTTPResponseHead?
        var body = ""
        var ended = false
        while let part = try await channel.readOutbound(as: HTTPServerResponsePart.self) {
            switch part {
            case .head(let h): responseHead = h
            case .body(.byteBuffer(let b)): body += String(buffer: b)
            case .body: Issue.record("unexpected body type")
            case .end: ended = true
            }
        }
        return (Response(head: try #require(responseHead), body: body, ended: ended), channel)
    }

    @Test("/healthz is 200 ok with exact headers")
    func healthz() async throws {
        let (response, _) = try await Self.request(.GET, "/healthz")
        #expect(response.head.status == .ok)
        #expect(response.body == "ok\n")
        #expect(response.ended)
        #expect(response.head.headers["Content-Type"] == ["text/plain; charset=utf-8"])
        #expect(response.head.headers["Content-Length"] == ["3"])
        #expect(response.head.headers["Cache-Control"] == ["no-store"])
        #expect(response.head.headers["Connection"] == ["keep-alive"])
    }

    @Test("HEAD /healthz has the headers and no body")
    func headHealthz() async throws {
        let (response, _) = try await Self.request(.HEAD, "/healthz")
        #expect(response.head.status == .ok)
        #expect(response.body == "")
        #expect(response.head.headers["Content-Length"] == ["3"])
    }

    @Test("/readyz reports readiness as 200 or 503 with the detail")
    func readyz() async throws {
        let (ready, _) = try await Self.request(.GET, "/readyz")
        #expect(ready.head.status == .ok)
        #expect(ready.body == #"{"ready":true}"#)
        let (notReady, _) = try await Self.request(.GET, "/readyz", ready: false)
        #expect(notReady.head.status == .serviceUnavailable)
        #expect(notReady.body == #"{"ready":false}"#)
    }

    @Test("/metrics serves the Prometheus text")
    func metrics() async throws {
        let (response, _) = try await Self.request(.GET, "/metrics")
        #expect(response.head.status == .ok)
        #expect(response.body == "# metrics\n")
        #expect(response.head.headers["Content-Type"] == ["text/plain; version=0.0.4; charset=utf-8"])
    }

    @Test("a plain GET of /ws is 400 with an INVALID_MESSAGE_FORMAT body, also with EIO when no Engine.IO server is configured")
    func wsWithoutUpgrade() async throws {
        let (plain, _) = try await Self.request(.GET, "/ws")
        #expect(plain.head.status == .badRequest)
        let expected =
            #"{"error":{"code":"INVALID_MESSAGE_FORMAT","message":"expected a WebSocket upgrade request (GET with Upgrade: websocket), or an Engine.IO request (EIO=4)"}}"#
        #expect(plain.body == expected)
        let (slash, _) = try await Self.request(.GET, "/ws/?x=1")
        #expect(slash.head.status == .badRequest)
        let (eio, _) = try await Self.request(.GET, "/ws?EIO=4&transport=polling")
        #expect(eio.head.status == .badRequest)
        #expect(eio.body == expected)
    }

    @Test("an unknown path is 404")
    func notFound() async throws {
        let (response, _) = try await Self.request(.GET, "/nope")
        #expect(response.head.status == .notFound)
        #expect(response.body == "not found\n")
    }

    @Test("the dashboard is served at /")
    func dashboard() async throws {
        let (response, _) = try await Self.request(.GET, "/")
        #expect(response.head.status == .ok)
        #expect(response.head.headers["Content-Type"] == ["text/html; charset=utf-8"])
        #expect(response.body == Dashboard.html)
    }

    @Test("Connection: close is honoured: the channel closes after the response")
    func connectionClose() async throws {
        let (response, channel) = try await Self.request(.GET, "/healthz", keepAlive: false)
        #expect(response.head.headers["Connection"] == ["close"])
        await channel.testingEventLoop.run()
        #expect(!channel.isActive)
    }
}
