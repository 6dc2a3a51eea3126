/// A task the simulator is driving through its lifecycle.
struct SimulatedTask: Sendable {
    var taskId: String
    var agent: SimulatedAgent
    var userId: String
    var status: TaskStatus
    var progress: Double
    var cost: Double
}
