import CoinDailyModeration
import CoinDailyProtocol
import NIOCore
import Testing

@Suite("Queue order and event encoding")
struct ModerationOrderTests {
    @Test("sort keys order by severity, then confidence, then age, then id")
    func order() {
        let reports = [
            report("low-old", .low, 0.99, at: t0),
            report("crit-low-conf", .critical, 0.10, at: t0 + 5),
            report("high-b", .high, 0.80, at: t0 + 2),
            report("high-a", .high, 0.80, at: t0 + 2),
            report("high-new", .high, 0.80, at: t0 + 9),
            report("high-conf", .high, 0.95, at: t0 + 100),
            report("medium", .medium, 1.0, at: t0),
            report("crit-high-conf", .critical, 0.90, at: t0 + 50),
            report("low-zero", .low, 0.0, at: 0),
        ]
        let sorted = reports.sorted { ModerationSortKey.make(for: $0).utf8.lexicographicallyPrecedes(ModerationSortKey.make(for: $1).utf8) }
        #expect(sorted.map(\.violationId) == [
            "crit-high-conf", "crit-low-conf", "high-conf", "high-a", "high-b", "high-new", "medium", "low-old", "low-zero",
        ])
    }

    @Test("the sort key has a fixed-width prefix and gives back the id")
    func keyLayout() {
        let key = ModerationSortKey.make(for: report("v|1:é", .high, 0.9375, at: 1_700_000_000_123))
        #expect(key == "1" + "0062500" + "0001700000000123" + "v|1:é")
        #expect(ModerationSortKey.violationId(of: key) == "v|1:é")
        #expect(ModerationSortKey.make(for: report("x", .low, 1, at: 0)).hasPrefix("3" + "0000000" + "0000000000000000"))
        #expect(ModerationSortKey.make(for: report("x", .critical, 0, at: 0)).hasPrefix("0" + "1000000"))
    }

    @Test("the template renders exactly the envelope JSONWriter writes", arguments: [
        ModerationStatus.pending, .underReview, .confirmed, .falsePositive,
    ])
    func template(status: ModerationStatus) {
        let r = ViolationReport(
            violationId: "v-\"1\"\\", userId: "ü\nser", contentType: "post", violationType: "hate_speech", severity: .critical,
            confidence: 0.125, timestamp: t0)
        let rendered = ModerationEventTemplate(report: r).render(queueLength: 12, queuePosition: 3, status: status, timestamp: t0 + 7)
        let data: JSONValue = [
            "violationId": .string(r.violationId), "userId": .string(r.userId), "contentType": "post",
            "violationType": "hate_speech", "severity": "critical", "confidence": 0.125, "status": .string(status.rawValue),
            "queuePosition": 3, "queueLength": 12, "reportedAt": .int(t0), "timestamp": .int(t0 + 7),
        ]
        let expected = EventEnvelope(type: "moderation_queue_update", data: data, timestamp: t0 + 7).encoded()
        #expect(rendered == String(buffer: expected))
        #expect(EventAttributes(data: data).severity == .critical)
    }
}
