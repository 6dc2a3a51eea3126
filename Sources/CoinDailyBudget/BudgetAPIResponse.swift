import CoinDailyProtocol

/// An answer of the limits API: an HTTP status and an optional JSON body.
public struct BudgetAPIResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// The JSON body (`nil`: none, e.g. 204).
    public var body: JSONValue?

    /// Creates a response.
    public init(status: Int, body: JSONValue?) {
        self.status = status
        self.body = body
    }

    /// `{"error":{"code","message","field"?}}` with `status`.
    static func error(_ status: Int, _ code: String, _ message: String, field: String? = nil) -> BudgetAPIResponse {
        var error: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let field { error["field"] = .string(field) }
        return BudgetAPIResponse(status: status, body: ["error": .object(error)])
    }
}
