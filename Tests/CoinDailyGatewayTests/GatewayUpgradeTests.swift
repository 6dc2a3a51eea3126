import NIOHTTP1
import Testing

@testable import CoinDailyGateway

@Suite("Gateway.acceptsUpgrade")
struct GatewayUpgradeTests {
    @Test(
        "plain WebSocket upgrades on the configured path, Engine.IO and other paths refused",
        arguments: [
            ("/ws", true), ("/ws/", true), ("/ws?x=1", true), ("/ws?token=abc&v=2", true), ("/ws/?x=1", true),
            ("/ws?EIO=4&transport=websocket", false), ("/ws?transport=websocket&EIO=4", false),
            ("/ws/?EIO=4", false), ("/other", false), ("/", false), ("/wsx", false), ("/ws//", false),
            ("/socket.io/?EIO=4&transport=websocket", false),
        ])
    func accepts(uri: String, accepted: Bool) {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
        #expect(Gateway.acceptsUpgrade(head, path: "/ws") == accepted)
    }

    @Test("another configured path")
    func otherPath() {
        #expect(Gateway.acceptsUpgrade(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/live"), path: "/live"))
        #expect(!Gateway.acceptsUpgrade(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/ws"), path: "/live"))
    }
}
