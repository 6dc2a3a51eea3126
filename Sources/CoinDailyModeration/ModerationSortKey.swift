/// The member of the queue's sorted set for one violation: a string whose byte order is the queue order.
///
/// Every member has score 0, so Redis orders them by their bytes (and `ZRANK` is the queue position
/// minus one). The key is 24 fixed-width ASCII digits followed by the violation id:
///
/// | bytes | meaning |
/// |---|---|
/// | 1 | `3 - severity rank`: `0` critical, `1` high, `2` medium, `3` low (critical first) |
/// | 7 | `1000000 - round(confidence × 10⁶)`, zero-padded (higher confidence first) |
/// | 16 | the report's `timestamp` in Unix ms, zero-padded (older first) |
/// | rest | the `violationId` (a deterministic tie-break) |
///
/// A float score cannot hold all three keys exactly (2 + 20 + 44 bits > the 53 of a double), which
/// is why the order lives in the member instead. Confidences closer than 10⁻⁶ count as equal.
public enum ModerationSortKey {
    /// Length of the fixed-width prefix before the violation id.
    public static let prefixLength = 24

    /// The sort key of `report`.
    public static func make(for report: ViolationReport) -> String {
        let severityDigit = String(3 - report.severity.rank)
        let scaled = Int((min(1, max(0, report.confidence)) * 1_000_000).rounded())
        let confidenceDigits = padded(1_000_000 - scaled, width: 7)
        let timeDigits = padded(Int(max(0, report.timestamp)), width: 16)
        return severityDigit + confidenceDigits + timeDigits + report.violationId
    }

    /// The violation id inside a sort key.
    public static func violationId(of key: String) -> String {
        String(decoding: key.utf8.dropFirst(prefixLength), as: UTF8.self)
    }

    private static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
