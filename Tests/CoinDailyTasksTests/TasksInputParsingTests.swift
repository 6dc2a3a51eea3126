import CoinDailyTestSupport
import CoinDailyProtocol
import CoinDailyTasks
import NIOCore
import Testing

@Suite("Tasks input parsing")
struct TasksInputParsingTests {
    func parse(_ json: String, now: Int64 = t0) throws(TasksInputError) -> TasksBatch {
        try TasksInput.parseBatch(ByteBuffer(string: json), now: now)
    }

    func error(_ json: String, now: Int64 = t0) -> TasksInputError? {
        do {
            _ = try parse(json, now: now)
            return nil
        } catch {
            return error
        }
    }

    let validTask = #"{"taskId":"t-1","agentId":"a-1","userId":"alice","status":"processing","progress":40,"qualityScore":0.5,"cost":0.25,"errorMessage":"none","agentName":"Writer-1","timestamp":1700000000000}"#
    let validPipeline = #"{"pipelineId":"p-1","articleId":"art-1","stage":{"name":"draft","status":"processing","progress":40},"totalStages":5}"#

    @Test("a full task event parses field by field")
    func fullTask() throws {
        let batch = try parse(validTask)
        #expect(!batch.isArray)
        #expect(
            batch.inputs == [
                .task(
                    TaskEvent(
                        taskId: "t-1", agentId: "a-1", userId: "alice", status: .processing, progress: 40, qualityScore: 0.5,
                        cost: 0.25, errorMessage: "none", agentName: "Writer-1", timestamp: 1_700_000_000_000))
            ])
    }

    @Test("a minimal task event gets the time of receipt")
    func minimalTask() throws {
        let batch = try parse(#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","progress":null}"#)
        #expect(batch.inputs == [.task(TaskEvent(taskId: "t", agentId: "a", userId: "u", status: .queued, timestamp: t0))])
    }

    @Test("a pipeline event parses; pipelineId or kind tells the kinds apart")
    func pipelineAndKinds() throws {
        let expected = TasksInput.pipeline(
            PipelineStageEvent(
                pipelineId: "p-1", articleId: "art-1", stage: PipelineStage(name: "draft", status: .processing, progress: 40),
                totalStages: 5, timestamp: t0))
        #expect(try parse(validPipeline).inputs == [expected])
        // Explicit kind wins: a "task" with a pipelineId is validated as a task (and lacks taskId).
        #expect(error(#"{"kind":"task","pipelineId":"p"}"#) == .missingField(field: "taskId"))
        // Without pipelineId and kind: a task.
        #expect(error(#"{"articleId":"a"}"#) == .missingField(field: "taskId"))
        #expect(error(#"{"kind":"pipeline","taskId":"t"}"#) == .missingField(field: "pipelineId"))
        #expect(error(#"{"kind":"job"}"#)?.field == "kind")
        #expect(try parse(#"{"kind":"PIPELINE","pipelineId":"p-1","articleId":"art-1","stage":{"name":"draft","status":"processing","progress":40},"totalStages":5}"#).inputs == [expected])
    }

    @Test("an array keeps order and is marked as an array")
    func array() throws {
        let batch = try parse("[\(validTask),\(validPipeline)]")
        #expect(batch.isArray)
        #expect(batch.inputs.count == 2)
    }

    @Test(
        "bad task fields are named",
        arguments: [
            (#"{"agentId":"a","userId":"u","status":"queued"}"#, "taskId"),
            (#"{"taskId":"","agentId":"a","userId":"u","status":"queued"}"#, "taskId"),
            (#"{"taskId":5,"agentId":"a","userId":"u","status":"queued"}"#, "taskId"),
            (#"{"taskId":"t","userId":"u","status":"queued"}"#, "agentId"),
            (#"{"taskId":"t","agentId":"a","status":"queued"}"#, "userId"),
            (#"{"taskId":"t","agentId":"a","userId":"u\u0001","status":"queued"}"#, "userId"),
            (#"{"taskId":"t","agentId":"a","userId":"u"}"#, "status"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"done"}"#, "status"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"Queued"}"#, "status"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","progress":101}"#, "progress"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","progress":-1}"#, "progress"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","progress":"40"}"#, "progress"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","progress":true}"#, "progress"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","qualityScore":1.5}"#, "qualityScore"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","cost":-0.01}"#, "cost"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","errorMessage":3}"#, "errorMessage"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","agentName":""}"#, "agentName"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","timestamp":1.5}"#, "timestamp"),
            (#"{"taskId":"t","agentId":"a","userId":"u","status":"queued","timestamp":1700000400000}"#, "timestamp"),
        ])
    func badTaskField(json: String, field: String) {
        let failure = error(json)
        #expect(failure?.field == field, "\(json) -> \(String(describing: failure))")
        #expect(failure?.description.hasPrefix(field) == true, "\(String(describing: failure))")
    }

    @Test(
        "bad pipeline fields are named",
        arguments: [
            (#"{"pipelineId":"p","stage":{"name":"s","status":"pending","progress":0},"totalStages":2}"#, "articleId"),
            (#"{"pipelineId":"p","articleId":"a","totalStages":2}"#, "stage"),
            (#"{"pipelineId":"p","articleId":"a","stage":"draft","totalStages":2}"#, "stage"),
            (#"{"pipelineId":"p","articleId":"a","stage":{"status":"pending","progress":0},"totalStages":2}"#, "stage.name"),
            (#"{"pipelineId":"p","articleId":"a","stage":{"name":"s","status":"queued","progress":0},"totalStages":2}"#, "stage.status"),
            (#"{"pipelineId":"p","articleId":"a","stage":{"name":"s","status":"pending"},"totalStages":2}"#, "stage.progress"),
            (#"{"pipelineId":"p","articleId":"a","stage":{"name":"s","status":"pending","progress":100.5},"totalStages":2}"#, "stage.progress"),
            (#"{"pipelineId":"p","articleId":"a","stage":{"name":"s","status":"pending","progress":0}}"#, "totalStages"),
            (#"{"pipelineId":"p","articleId":"a","stage":{"name":"s","status":"pending","progress":0},"totalStages":0}"#, "totalStages"),
            (#"{"pipelineId":"p","articleId":"a","stage":{"name":"s","status":"pending","progress":0},"totalStages":2.5}"#, "totalStages"),
            (#"{"pipelineId":"p","articleId":"a","stage":{"name":"s","status":"pending","progress":0},"totalStages":"2"}"#, "totalStages"),
        ])
    func badPipelineField(json: String, field: String) {
        let failure = error(json)
        #expect(failure?.field == field, "\(json) -> \(String(describing: failure))")
    }

    @Test("batch-level errors, and item errors carry the index")
    func batchErrors() {
        #expect(error("nope") == .malformedJSON)
        #expect(error("42") == .notAnObject(field: nil))
        #expect(error("[]") == .emptyBatch)
        #expect(error("[\(validTask), 3]") == .item(index: 1, .notAnObject(field: nil)))
        let bad = error(#"[\#(validTask), {"taskId":"t","agentId":"a","userId":"u","status":"done"}]"#)
        #expect(bad?.itemIndex == 1)
        #expect(bad?.field == "status")
        #expect(bad?.description.hasPrefix("item 1: status must be one of") == true)
        let many = "[" + Array(repeating: validTask, count: 3).joined(separator: ",") + "]"
        #expect(throws: TasksInputError.batchTooLarge(count: 3, limit: 2)) {
            try TasksInput.parseBatch(ByteBuffer(string: many), now: t0, maxItems: 2)
        }
    }

    @Test("the ingest JSON an input writes parses back to the same input")
    func jsonRoundTrip() throws {
        let inputs = try parse("[\(validTask),\(validPipeline)]").inputs
        for input in inputs {
            let text = JSONWriter.string(input.json)
            #expect(try parse(text).inputs == [input])
        }
    }
}
