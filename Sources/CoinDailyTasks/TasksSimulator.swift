/// A deterministic synthetic feed of task and pipeline events that always respects the state rules.
///
/// Up to 12 tasks at once, owned by ``users`` (`dev` is the owner of `make run`'s dev token) and run by
/// ``agents``: a new task is queued about every other second; each second a task advances with
/// probability 0.4 (queued → processing, or cancelled 5 %; processing gains 8–30 % progress, fails 4 %
/// of the time, is cancelled 2 %, completes at 100 % with a quality score and a cost). Up to 3
/// pipelines of the 5 ``stages`` run at once, each advancing with probability 0.5 per second (pending
/// → processing → +20–50 % → completed, then the next stage; 2 % of steps fail the stage).
///
/// The same seed, run id and `now` values always give the same inputs. Ids embed the run id so a
/// restarted simulator never reuses the ids of tasks an earlier run finished.
public struct TasksSimulator: Sendable {
    /// The simulated agents (`agent-1`…`agent-6`).
    public static let agents: [SimulatedAgent] = [
        .init(id: "agent-1", name: "Writer-1"), .init(id: "agent-2", name: "Writer-2"),
        .init(id: "agent-3", name: "Researcher-3"), .init(id: "agent-4", name: "Editor-4"),
        .init(id: "agent-5", name: "SEO-5"), .init(id: "agent-6", name: "Translator-6"),
    ]
    /// Owners of the simulated tasks.
    public static let users = ["dev", "alice", "bob", "carol"]
    /// The stages of every simulated pipeline.
    public static let stages = ["research", "outline", "draft", "edit", "publish"]
    static let errors = ["model timeout", "source unavailable", "content policy violation", "rate limited by provider"]

    /// The seed.
    public let seed: UInt64
    /// The run id embedded in every id.
    public let runId: String
    private var random: SplitMix64
    private var tasks: [SimulatedTask] = []
    private var pipelines: [SimulatedPipeline] = []
    private var taskCounter = 0
    private var pipelineCounter = 0

    /// Creates a simulator.
    public init(seed: UInt64, runId: String) {
        self.seed = seed
        self.runId = runId
        self.random = SplitMix64(seed: seed)
    }

    /// The inputs of one step (about a second) at `now` (Unix ms).
    public mutating func next(now: Int64) -> [TasksInput] {
        var out: [TasksInput] = []
        if tasks.count < 12, random.unit() < 0.5 {
            taskCounter += 1
            let task = SimulatedTask(
                taskId: "sim-\(runId)-t\(taskCounter)", agent: Self.agents[random.index(Self.agents.count)],
                userId: Self.users[random.index(Self.users.count)], status: .queued, progress: 0, cost: 0)
            tasks.append(task)
            out.append(event(task, now: now, name: true))
        }
        var kept: [SimulatedTask] = []
        for var task in tasks {
            guard random.unit() < 0.4 else {
                kept.append(task)
                continue
            }
            var error: String?
            var quality: Double?
            switch task.status {
            case .queued:
                if random.unit() < 0.05 {
                    task.status = .cancelled
                } else {
                    task.status = .processing
                    task.progress = random.uniform(0, 10).rounded()
                }
            default:
                let roll = random.unit()
                task.cost = ((task.cost + random.uniform(0.01, 0.4)) * 100).rounded() / 100
                if roll < 0.04 {
                    task.status = .failed
                    error = Self.errors[random.index(Self.errors.count)]
                } else if roll < 0.06 {
                    task.status = .cancelled
                } else {
                    task.progress = min(100, task.progress + random.uniform(8, 30).rounded())
                    if task.progress >= 100 {
                        task.status = .completed
                        quality = (random.uniform(0.6, 0.99) * 100).rounded() / 100
                    }
                }
            }
            out.append(event(task, now: now, name: false, error: error, quality: quality))
            if !task.status.isTerminal { kept.append(task) }
        }
        tasks = kept

        if pipelines.count < 3, random.unit() < 0.15 {
            pipelineCounter += 1
            let pipeline = SimulatedPipeline(
                pipelineId: "sim-\(runId)-p\(pipelineCounter)", articleId: "article-\(runId)-\(pipelineCounter)",
                stageIndex: 0, stageStatus: .pending, progress: 0)
            pipelines.append(pipeline)
            out.append(event(pipeline, now: now))
        }
        var running: [SimulatedPipeline] = []
        for var pipeline in pipelines {
            guard random.unit() < 0.5 else {
                running.append(pipeline)
                continue
            }
            if pipeline.stageStatus == .completed {
                pipeline.stageIndex += 1
                pipeline.stageStatus = .pending
                pipeline.progress = 0
            }
            switch pipeline.stageStatus {
            case .pending:
                pipeline.stageStatus = .processing
            default:
                if random.unit() < 0.02 {
                    pipeline.stageStatus = .failed
                } else {
                    pipeline.progress = min(100, pipeline.progress + random.uniform(20, 50).rounded())
                    if pipeline.progress >= 100 { pipeline.stageStatus = .completed }
                }
            }
            out.append(event(pipeline, now: now))
            let finished = pipeline.stageStatus == .failed
                || (pipeline.stageStatus == .completed && pipeline.stageIndex == Self.stages.count - 1)
            if !finished { running.append(pipeline) }
        }
        pipelines = running
        return out
    }

    private func event(_ task: SimulatedTask, now: Int64, name: Bool, error: String? = nil, quality: Double? = nil) -> TasksInput {
        .task(
            TaskEvent(
                taskId: task.taskId, agentId: task.agent.id, userId: task.userId, status: task.status,
                progress: task.progress, qualityScore: quality, cost: task.cost > 0 ? task.cost : nil, errorMessage: error,
                agentName: name ? task.agent.name : nil, timestamp: now))
    }

    private func event(_ pipeline: SimulatedPipeline, now: Int64) -> TasksInput {
        .pipeline(
            PipelineStageEvent(
                pipelineId: pipeline.pipelineId, articleId: pipeline.articleId,
                stage: PipelineStage(name: Self.stages[pipeline.stageIndex], status: pipeline.stageStatus, progress: pipeline.progress),
                totalStages: Self.stages.count, timestamp: now))
    }
}
