import CoinDailyProtocol
import CoinDailyService
import Foundation
import NIOCore

/// The limits API, independent of the HTTP server (``BudgetApplication`` serves it):
///
/// - `GET /v1/limits` → 200 `{"limits": [limit…]}` ordered by id;
/// - `GET /v1/limits/{id}` → 200 limit, 404;
/// - `PUT /v1/limits/{id}` with `{agentId?, amount, period}` → 200 limit (created or replaced; alerts
///   its current spend has reached are published before the answer), 400 naming the field, 503;
/// - `DELETE /v1/limits/{id}` → 204, 404;
/// - another method on these paths → 405.
///
/// A limit in an answer is `{budgetLimitId, agentId?, amount, period, revision, updatedAt, currentSpend}`,
/// `currentSpend` being the spend of its current period.
public struct BudgetLimitsAPI: Sendable {
    /// The path prefix served.
    public static let path = "/v1/limits"
    /// Largest `PUT` body (64 KiB).
    public static let maxBodyBytes = 64 * 1024

    private let producer: BudgetProducer

    /// Creates the API over `producer`.
    public init(producer: BudgetProducer) { self.producer = producer }

    /// Whether `path` belongs to this API.
    public static func serves(_ path: String) -> Bool { path == Self.path || path.hasPrefix(Self.path + "/") }

    /// Answers one request. `path` is the raw (percent-encoded) request path.
    public func handle(method: String, path: String, body: ByteBuffer?) async -> BudgetAPIResponse {
        let rest = path.dropFirst(Self.path.count)
        let id: String?
        if rest.isEmpty || rest == "/" {
            id = nil
        } else {
            let encoded = String(rest.dropFirst())
            guard !encoded.contains("/"), let decoded = encoded.removingPercentEncoding, !decoded.isEmpty else {
                return .error(404, "NOT_FOUND", "no such resource")
            }
            id = decoded
        }
        do throws(BudgetUnavailable) {
            switch (method, id) {
            case ("GET", nil):
                var list: [JSONValue] = []
                for stored in try await producer.limits() { list.append(try await json(stored)) }
                return BudgetAPIResponse(status: 200, body: ["limits": .array(list)])
            case ("GET", let id?):
                guard let stored = try await producer.limit(id) else { return .error(404, "NOT_FOUND", "no limit \(id)") }
                return BudgetAPIResponse(status: 200, body: try await json(stored))
            case ("PUT", let id?):
                let limit: BudgetLimit
                do {
                    limit = try BudgetInput.parseLimitBody(body ?? ByteBuffer(), budgetLimitId: id)
                } catch {
                    return .error(400, "INVALID_INPUT", error.description, field: error.field)
                }
                let stored = try await producer.setLimit(limit, now: UnixTime.nowMillis())
                return BudgetAPIResponse(status: 200, body: try await json(stored))
            case ("DELETE", let id?):
                guard try await producer.deleteLimit(id) else { return .error(404, "NOT_FOUND", "no limit \(id)") }
                return BudgetAPIResponse(status: 204, body: nil)
            default:
                return .error(405, "METHOD_NOT_ALLOWED", "\(method) is not allowed on \(path)")
            }
        } catch {
            return .error(503, "UNAVAILABLE", error.message)
        }
    }

    private func json(_ stored: StoredBudgetLimit) async throws(BudgetUnavailable) -> JSONValue {
        guard case .object(var object) = stored.json else { return stored.json }
        object["currentSpend"] = .number(try await producer.currentSpend(of: stored.limit, now: UnixTime.nowMillis()))
        return .object(object)
    }
}
