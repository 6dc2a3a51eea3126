import CoinDailyModeration
import CoinDailyProtocol
import NIOCore
import Testing

@Suite("Moderation input parsing")
struct ModerationInputTests {
    func parse(_ json: String, now: Int64 = t0, maxItems: Int = 100) throws(ModerationInputError) -> (items: [ModerationInput], isArray: Bool) {
        try ModerationInput.parseBatch(ByteBuffer(string: json), now: now, maxItems: maxItems)
    }

    func error(_ json: String, now: Int64 = t0, maxItems: Int = 100) -> ModerationInputError? {
        do {
            _ = try parse(json, now: now, maxItems: maxItems)
            return nil
        } catch {
            return error
        }
    }

    let validReport = #"{"violationId":"v-1","userId":"u-7","contentType":"post","violationType":"spam","severity":"high","confidence":0.93,"timestamp":1700000000000}"#

    @Test("a report parses with every field")
    func report() throws {
        let parsed = try parse(validReport)
        #expect(parsed.isArray == false)
        #expect(parsed.items == [.report(CoinDailyModerationTests.report("v-1", .high, 0.93, at: t0, user: "u-7"))])
    }

    @Test("a report without timestamp gets now; severity is case-insensitive; kind is optional")
    func defaults() throws {
        let parsed = try parse(#"{"kind":"REPORT","violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"CRITICAL","confidence":1}"#, now: 42)
        #expect(parsed.items == [.report(ViolationReport(violationId: "v", userId: "u", contentType: "c", violationType: "t", severity: .critical, confidence: 1, timestamp: 42))])
    }

    @Test("an object with status is a status change; kind can say so explicitly")
    func statusChanges() throws {
        #expect(try parse(#"{"violationId":"v-1","status":"under_review"}"#).items == [change("v-1", .underReview)])
        #expect(try parse(#"{"kind":"status","violationId":"v-1","status":"False_Positive"}"#).items == [change("v-1", .falsePositive)])
        #expect(try parse(#"{"violationId":"v-1","status":"confirmed","severity":"high"}"#).items == [change("v-1", .confirmed)])
        // With kind "status" but no status key.
        #expect(error(#"{"kind":"status","violationId":"v-1"}"#) == .missingField(field: "status"))
    }

    @Test("a status change may not set pending or an unknown status")
    func badStatus() {
        #expect(error(#"{"violationId":"v","status":"pending"}"#)?.field == "status")
        #expect(error(#"{"violationId":"v","status":"done"}"#)
            == .invalidField(field: "status", reason: "must be one of under_review, confirmed, false_positive"))
        #expect(error(#"{"violationId":"v","status":3}"#) == .wrongType(field: "status", expected: "string"))
    }

    @Test("bad report fields are named", arguments: [
        ("violationId", #"{"userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":0.5}"#),
        ("violationId", #"{"violationId":"","userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":0.5}"#),
        ("violationId", #"{"violationId":7,"userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":0.5}"#),
        ("userId", #"{"violationId":"v","contentType":"c","violationType":"t","severity":"low","confidence":0.5}"#),
        ("userId", #"{"violationId":"v","userId":"a\u0001b","contentType":"c","violationType":"t","severity":"low","confidence":0.5}"#),
        ("contentType", #"{"violationId":"v","userId":"u","contentType":null,"violationType":"t","severity":"low","confidence":0.5}"#),
        ("violationType", #"{"violationId":"v","userId":"u","contentType":"c","violationType":true,"severity":"low","confidence":0.5}"#),
        ("severity", #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","confidence":0.5}"#),
        ("severity", #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"urgent","confidence":0.5}"#),
        ("confidence", #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"low"}"#),
        ("confidence", #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":1.01}"#),
        ("confidence", #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":-0.1}"#),
        ("confidence", #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":"0.5"}"#),
        ("confidence", #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":true}"#),
        ("timestamp", #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":0.5,"timestamp":1.5}"#),
        ("timestamp", #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":0.5,"timestamp":-1}"#),
        ("timestamp", #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":0.5,"timestamp":"now"}"#),
        ("kind", #"{"kind":"other","violationId":"v"}"#),
    ])
    func badFields(field: String, json: String) {
        let failure = error(json)
        #expect(failure?.field == field, "\(String(describing: failure))")
        #expect(failure?.itemIndex == nil)
        #expect(failure?.description.contains(field) == true)
    }

    @Test("ids and types have length limits")
    func lengths() {
        let long = String(repeating: "x", count: 129)
        #expect(error(#"{"violationId":"\#(long)","status":"confirmed"}"#) == .invalidField(field: "violationId", reason: "must be 1 to 128 characters"))
        let type65 = String(repeating: "t", count: 65)
        #expect(error(#"{"violationId":"v","userId":"u","contentType":"\#(type65)","violationType":"t","severity":"low","confidence":0.5}"#)?.field == "contentType")
    }

    @Test("a timestamp more than 5 minutes ahead is rejected")
    func futureTimestamp() {
        let json = #"{"violationId":"v","userId":"u","contentType":"c","violationType":"t","severity":"low","confidence":0.5,"timestamp":\#(t0 + 300_001)}"#
        #expect(error(json)?.field == "timestamp")
        #expect(error(json, now: t0 + 1) == nil)
    }

    @Test("arrays: every item validated, errors carry the index")
    func arrays() throws {
        let parsed = try parse("[\(validReport), {\"violationId\":\"v-1\",\"status\":\"confirmed\"}]")
        #expect(parsed.isArray)
        #expect(parsed.items.count == 2)
        let failure = error("[\(validReport), {\"violationId\":\"v-1\",\"status\":\"nope\"}]")
        #expect(failure?.itemIndex == 1)
        #expect(failure?.field == "status")
        #expect(failure?.description.hasPrefix("item 1: status") == true)
        #expect(error("[\(validReport), 5]") == .item(index: 1, .notAnObject))
    }

    @Test("bodies that are not items")
    func notItems() {
        #expect(error("not json") == .malformedJSON)
        #expect(error("") == .malformedJSON)
        #expect(error("42") == .notAnObject)
        #expect(error("null") == .notAnObject)
        #expect(error("[]") == .emptyBatch)
        #expect(error("[\(validReport),\(validReport),\(validReport)]", maxItems: 2) == .batchTooLarge(count: 3, limit: 2))
    }

    @Test("the simulator's JSON parses back to the same input")
    func jsonRoundTrip() throws {
        let inputs: [ModerationInput] = [reported("v-1", .medium, 0.615, at: t0), change("v-1", .underReview), change("v-1", .falsePositive)]
        for input in inputs {
            let text = JSONWriter.string(input.json)
            #expect(try parse(text).items == [input])
        }
    }

    @Test("error mapping of the store's conflicts")
    func conflictErrors() {
        let unknown = ModerationInputError.item(index: 3, .unknownViolation(violationId: "v-9"))
        #expect(unknown.field == "violationId")
        #expect(unknown.itemIndex == 3)
        #expect(unknown.description == "item 3: violationId v-9 is not known (no report with this id)")
        let final = ModerationInputError.finalStatus(violationId: "v-1", status: .confirmed)
        #expect(final.field == "status")
        #expect(final.description.contains("already confirmed"))
    }
}
