import CoinDailyProtocol

/// The JSON record the apply script reads for one item (one `ARGV` each), and the keys it needs.
///
/// Task: `{"kind":"task","taskId","userId","agentId","status","progress"?,"agentName"?,"defaultName",
/// "envelope","userChannel"}`. Pipeline: `{"kind":"pipeline","pipelineId","articleId","stage","status",
/// "progress","totalStages","head","middle","tail"}` (see ``PipelineEnvelopeTemplate``).
struct TasksScriptRecord {
    /// The record's JSON text.
    let json: String
    /// The keys of the item, in the order the script takes them from `KEYS`.
    let keys: [String]

    init(_ input: TasksInput, defaultAgentName: (String) -> String) {
        switch input {
        case .task(let event):
            var record: [String: JSONValue] = [
                "kind": "task", "taskId": .string(event.taskId), "userId": .string(event.userId),
                "agentId": .string(event.agentId), "status": .string(event.status.rawValue),
                "defaultName": .string(defaultAgentName(event.agentId)),
                "envelope": .string(String(buffer: TasksEventEncoder.taskEnvelope(event).encoded())),
                "userChannel": .string(RedisKeys.userTaskChannel(event.userId)),
            ]
            if let progress = event.progress { record["progress"] = .number(progress) }
            if let name = event.agentName { record["agentName"] = .string(name) }
            json = JSONWriter.string(.object(record))
            keys = [TasksKeys.task(event.taskId)]
        case .pipeline(let event):
            let template = PipelineEnvelopeTemplate(event: event)
            json = JSONWriter.string([
                "kind": "pipeline", "pipelineId": .string(event.pipelineId), "articleId": .string(event.articleId),
                "stage": .string(event.stage.name), "status": .string(event.stage.status.rawValue),
                "progress": .number(event.stage.progress), "totalStages": .number(Double(event.totalStages)),
                "head": .string(template.head), "middle": .string(template.middle), "tail": .string(template.tail),
            ])
            keys = [TasksKeys.pipeline(event.pipelineId), TasksKeys.pipelineStages(event.pipelineId)]
        }
    }
}
