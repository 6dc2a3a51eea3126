import CoinDailyService
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// A Hummingbird child channel that puts TLS in front of another one with the *current* context of a
/// ``ReloadableTLSContext``, taken per connection — HummingbirdTLS's `TLSChannel` fixes its context at
/// start, so a renewed certificate would need a restart.
struct ReloadableTLSChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    typealias Value = BaseChannel.Value

    let base: BaseChannel
    let tls: ReloadableTLSContext

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.current))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension ReloadableTLSChannel: HTTPChannelHandler where BaseChannel: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 over TLS with a certificate that can be reloaded while the server runs: each new
    /// connection uses `tls.current`.
    public static func reloadableTLS(
        http1 configuration: HTTP1Channel.Configuration = .init(), tls: ReloadableTLSContext
    ) -> HTTPServerBuilder {
        .init { responder in
            ReloadableTLSChannel(base: HTTP1Channel(responder: responder, configuration: configuration), tls: tls)
        }
    }
}
