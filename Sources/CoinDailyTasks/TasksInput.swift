import CoinDailyProducer
import CoinDailyProtocol
import NIOCore

/// One ingest item of the tasks producer: an AI task lifecycle event or a content-pipeline stage event.
///
/// The two kinds are told apart by an explicit `kind` (`"task"` or `"pipeline"`, case-insensitive)
/// when present; without `kind`, an object with a `pipelineId` key is a pipeline event and anything
/// else is a task event. Unknown keys are ignored; a JSON `null` counts as absent.
public enum TasksInput: Sendable, Equatable, Hashable {
    /// An AI task lifecycle event.
    case task(TaskEvent)
    /// A content-pipeline stage event.
    case pipeline(PipelineStageEvent)

    /// The default largest number of items of one body: 1000.
    public static let defaultMaxBatchItems = 1000
    /// How far in the future a `timestamp` may lie by default, in milliseconds: 300 000 (5 minutes).
    public static let defaultMaxFutureSkewMilliseconds: Int64 = 300_000
    /// Longest `errorMessage` accepted, in characters: 2000.
    public static let maxErrorMessageLength = 2000

    /// The item's timestamp (Unix ms).
    public var timestamp: Int64 {
        switch self {
        case .task(let event): event.timestamp
        case .pipeline(let event): event.timestamp
        }
    }

    // MARK: Parsing

    /// Parses one item from a JSON object.
    ///
    /// Task events: `taskId`, `agentId`, `userId` (required, 1–128 characters), `status` (required, one
    /// of ``TaskStatus``), `progress` (0–100), `qualityScore` (0–1), `cost` (>= 0), `errorMessage`
    /// (string, at most 2000 characters), `agentName` (1–128 characters), `timestamp`.
    /// Pipeline events: `pipelineId`, `articleId` (required identifiers), `stage` (required object with
    /// `name` (identifier), `status` (one of ``StageStatus``) and `progress` (0–100), all required),
    /// `totalStages` (required integer 1–100), `timestamp`.
    /// `timestamp` is optional integer Unix milliseconds, at most `maxFutureSkew` ms after `now`
    /// (default `now`).
    public static func parse(
        object: [String: JSONValue], now: Int64, maxFutureSkew: Int64 = defaultMaxFutureSkewMilliseconds
    ) throws(TasksInputError) -> TasksInput {
        let reader = JSONObjectReader(object)
        let isPipeline: Bool
        if let kind = try reader.optionalString("kind") {
            switch kind.lowercased() {
            case "task": isPipeline = false
            case "pipeline": isPipeline = true
            default: throw .invalidField(field: "kind", reason: "must be \"task\" or \"pipeline\"")
            }
        } else {
            isPipeline = reader.has("pipelineId")
        }
        if isPipeline {
            let pipelineId = try reader.identifier("pipelineId")
            let articleId = try reader.identifier("articleId")
            let stageReader = JSONObjectReader(try reader.requiredObject("stage"), prefix: "stage.")
            let name = try stageReader.identifier("name")
            let statusName = try stageReader.requiredString("status")
            guard let status = StageStatus(rawValue: statusName) else {
                throw .invalidField(field: "stage.status", reason: "must be one of \(StageStatus.acceptedNames)")
            }
            guard let progress = try stageReader.number("progress", in: 0...100, reason: "must be a number from 0 to 100") else {
                throw .missingField(field: "stage.progress")
            }
            let totalStages = try reader.requiredInteger("totalStages", in: 1...100)
            let timestamp = try reader.timestamp(now: now, maxFutureSkew: maxFutureSkew)
            return .pipeline(
                PipelineStageEvent(
                    pipelineId: pipelineId, articleId: articleId,
                    stage: PipelineStage(name: name, status: status, progress: progress), totalStages: totalStages,
                    timestamp: timestamp))
        }
        let taskId = try reader.identifier("taskId")
        let agentId = try reader.identifier("agentId")
        let userId = try reader.identifier("userId")
        let statusName = try reader.requiredString("status")
        guard let status = TaskStatus(rawValue: statusName) else {
            throw .invalidField(field: "status", reason: "must be one of \(TaskStatus.acceptedNames)")
        }
        let progress = try reader.number("progress", in: 0...100, reason: "must be a number from 0 to 100")
        let qualityScore = try reader.number("qualityScore", in: 0...1, reason: "must be a number from 0 to 1")
        let cost = try reader.number("cost", in: 0...Double.greatestFiniteMagnitude, reason: "must be a finite number >= 0")
        let errorMessage = try reader.optionalString("errorMessage")
        if let errorMessage, errorMessage.count > maxErrorMessageLength {
            throw .invalidField(field: "errorMessage", reason: "must be at most \(maxErrorMessageLength) characters")
        }
        let agentName = try reader.optionalString("agentName")
        if let agentName { try JSONObjectReader.checkIdentifier(agentName, field: "agentName") }
        let timestamp = try reader.timestamp(now: now, maxFutureSkew: maxFutureSkew)
        return .task(
            TaskEvent(
                taskId: taskId, agentId: agentId, userId: userId, status: status, progress: progress,
                qualityScore: qualityScore, cost: cost, errorMessage: errorMessage, agentName: agentName,
                timestamp: timestamp))
    }

    /// Parses an ingest body: one JSON object or a JSON array of objects, every element validated
    /// before anything is returned. Errors inside an array are wrapped in ``TasksInputError/item(index:_:)``.
    ///
    /// - Parameters:
    ///   - body: the JSON bytes (an HTTP body, or a stream entry's `payload`).
    ///   - now: Unix ms, for items without `timestamp`.
    ///   - maxItems: the largest array accepted.
    ///   - maxFutureSkew: how far (ms) a `timestamp` may lie in the future.
    public static func parseBatch(
        _ body: ByteBuffer, now: Int64, maxItems: Int = defaultMaxBatchItems,
        maxFutureSkew: Int64 = defaultMaxFutureSkewMilliseconds
    ) throws(TasksInputError) -> TasksBatch {
        let root: JSONValue
        do {
            root = try JSONValue.parse(body)
        } catch {
            throw .malformedJSON
        }
        if let object = root.objectValue {
            return TasksBatch(inputs: [try parse(object: object, now: now, maxFutureSkew: maxFutureSkew)], isArray: false)
        }
        guard let array = root.arrayValue else { throw .notAnObject(field: nil) }
        guard !array.isEmpty else { throw .emptyBatch }
        guard array.count <= maxItems else { throw .batchTooLarge(count: array.count, limit: maxItems) }
        var inputs: [TasksInput] = []
        inputs.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard let object = element.objectValue else { throw .item(index: index, .notAnObject(field: nil)) }
            do {
                inputs.append(try parse(object: object, now: now, maxFutureSkew: maxFutureSkew))
            } catch {
                throw .item(index: index, error)
            }
        }
        return TasksBatch(inputs: inputs, isArray: true)
    }

    // MARK: Writing

    /// The item as ingest JSON (with an explicit `kind`), as the simulator queues it.
    public var json: JSONValue {
        switch self {
        case .task(let e):
            var object: [String: JSONValue] = [
                "kind": "task", "taskId": .string(e.taskId), "agentId": .string(e.agentId), "userId": .string(e.userId),
                "status": .string(e.status.rawValue), "timestamp": .int(e.timestamp),
            ]
            if let v = e.progress { object["progress"] = .number(v) }
            if let v = e.qualityScore { object["qualityScore"] = .number(v) }
            if let v = e.cost { object["cost"] = .number(v) }
            if let v = e.errorMessage { object["errorMessage"] = .string(v) }
            if let v = e.agentName { object["agentName"] = .string(v) }
            return .object(object)
        case .pipeline(let e):
            return [
                "kind": "pipeline", "pipelineId": .string(e.pipelineId), "articleId": .string(e.articleId),
                "stage": [
                    "name": .string(e.stage.name), "status": .string(e.stage.status.rawValue),
                    "progress": .number(e.stage.progress),
                ],
                "totalStages": .number(Double(e.totalStages)), "timestamp": .int(e.timestamp),
            ]
        }
    }
}
