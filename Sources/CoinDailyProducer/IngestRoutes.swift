import CoinDailyProtocol
import Hummingbird
import Metrics
import NIOCore

/// `POST /v1/ingest`: one JSON object or an array, handed to the producer's ``IngestHandler``.
///
/// Answers 202 `{"accepted": n}` once the result is published; 400 `{"error":{"code":"INVALID_INPUT",
/// "message","field","index"}}` when any item is wrong (nothing applied); 413 for a body over the
/// limit; 503 `{"error":{"code":"UNAVAILABLE",…}}` while Redis is unreachable.
public enum IngestRoutes {
    /// Adds the route to `router`.
    public static func add<Context: RequestContext>(
        to router: Router<Context>, handler: any IngestHandler, producer: String, maxBytes: Int
    ) {
        let accepted = Counter(label: "coindaily_producer_ingest_total", dimensions: [("producer", producer), ("result", "accepted")])
        let rejected = Counter(label: "coindaily_producer_ingest_total", dimensions: [("producer", producer), ("result", "rejected")])
        let unavailable = Counter(
            label: "coindaily_producer_ingest_total", dimensions: [("producer", producer), ("result", "unavailable")])
        router.post("v1/ingest") { request, _ -> Response in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maxBytes)
            } catch {
                rejected.increment()
                return json(.contentTooLarge, Self.error("PAYLOAD_TOO_LARGE", "body larger than \(maxBytes) bytes", nil, nil))
            }
            let outcome: Result<Int, IngestError>
            do throws(IngestError) {
                outcome = .success(try await handler.ingest(body))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let count):
                accepted.increment()
                return json(.accepted, ["accepted": .number(Double(count))])
            case .failure(let error):
                switch error {
                case .invalid(let message, let field, let index):
                    rejected.increment()
                    return json(.badRequest, Self.error("INVALID_INPUT", message, field, index))
                case .unavailable(let message):
                    unavailable.increment()
                    return json(.serviceUnavailable, Self.error("UNAVAILABLE", message, nil, nil))
                }
            }
        }
    }

    static func error(_ code: String, _ message: String, _ field: String?, _ index: Int?) -> JSONValue {
        var error: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let field { error["field"] = .string(field) }
        if let index { error["index"] = .number(Double(index)) }
        return ["error": .object(error)]
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(value))))
    }
}
