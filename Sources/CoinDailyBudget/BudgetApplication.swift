import CoinDailyProtocol
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The producer runtime's application with the limits API (``BudgetLimitsAPI``) in front: requests under
/// `/v1/limits` are answered here, everything else (`/v1/ingest`, `/healthz`, `/readyz`, `/metrics`) by
/// the wrapped application, whose services, configuration and start-up hook are kept. The server is
/// Hummingbird's default HTTP/1.1 one, as in `ProducerRuntime`.
public struct BudgetApplication<Base: ApplicationProtocol>: ApplicationProtocol {
    /// The responder: the limits API, else the base application's responder.
    public struct Responder: HTTPResponder {
        /// The request context of the base application.
        public typealias Context = Base.Responder.Context
        let base: Base.Responder
        let api: BudgetLimitsAPI

        /// Answers `/v1/limits…` itself and hands everything else to the base responder.
        public func respond(to request: Request, context: Context) async throws -> Response {
            let path = request.uri.path
            guard BudgetLimitsAPI.serves(path) else { return try await base.respond(to: request, context: context) }
            var body: ByteBuffer?
            if request.method == .put {
                do {
                    body = try await request.body.collect(upTo: BudgetLimitsAPI.maxBodyBytes)
                } catch {
                    return Self.response(.error(413, "PAYLOAD_TOO_LARGE", "body larger than \(BudgetLimitsAPI.maxBodyBytes) bytes"))
                }
            }
            return Self.response(await api.handle(method: request.method.rawValue, path: path, body: body))
        }

        static func response(_ answer: BudgetAPIResponse) -> Response {
            let status = HTTPResponse.Status(code: answer.status)
            guard let body = answer.body else { return Response(status: status) }
            return Response(
                status: status, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(body))))
        }
    }

    private let base: Base
    private let api: BudgetLimitsAPI

    /// Wraps `base` (from `ProducerRuntime.application`) with the limits API of `producer`.
    public init(wrapping base: Base, producer: BudgetProducer) {
        self.base = base
        self.api = BudgetLimitsAPI(producer: producer)
    }

    /// The combined responder.
    public var responder: Responder {
        get async throws { Responder(base: try await base.responder, api: api) }
    }
    /// The base application's event loop group.
    public var eventLoopGroup: any EventLoopGroup { base.eventLoopGroup }
    /// The base application's configuration (address, server name).
    public var configuration: ApplicationConfiguration { base.configuration }
    /// The base application's logger.
    public var logger: Logger { base.logger }
    /// The base application's start-up hook (it logs `listening on …`).
    public func onServerRunning(_ channel: any Channel) async { await base.onServerRunning(channel) }
    /// The base application's services (stream consumer, heartbeat, simulator, …).
    public var services: [any Service] { base.services }
    /// The base application's pre-start processes.
    public var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { base.processesRunBeforeServerStart }
}
