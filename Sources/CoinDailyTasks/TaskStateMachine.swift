import CoinDailyProtocol

/// The task lifecycle rules, as a pure function. The producer enforces the same rules atomically in
/// Redis (``TasksScripts/apply``); tests check that both agree on every pair of statuses.
///
/// In order:
/// 1. A task's `userId` never changes (field `userId`).
/// 2. A repeat of a final status the task already has is a duplicate: accepted, not applied.
/// 3. The status must be one the current status may move to (``TaskStatus/successors``), field `status`.
/// 4. `progress`, when given, is not lower than the task's highest progress so far (field `progress`).
///
/// The first event of an unknown task may carry any status (earlier events may have been missed).
public enum TaskStateMachine {
    /// The verdict for `event` given the task's current record (`nil`: unknown task).
    public static func verdict(current: TaskRecord?, event: TaskEvent) throws(TasksRuleViolation) -> TaskVerdict {
        guard let current else {
            return .apply(TaskRecord(status: event.status, progress: event.progress, userId: event.userId, agentId: event.agentId))
        }
        if current.userId != event.userId {
            throw TasksRuleViolation(
                field: "userId", message: "userId cannot change: task \(event.taskId) belongs to \(current.userId)")
        }
        if current.status.isTerminal, current.status == event.status { return .duplicate }
        if current.status.isTerminal {
            throw TasksRuleViolation(
                field: "status",
                message: "status cannot go from \(current.status.rawValue) to \(event.status.rawValue): task \(event.taskId) has finished")
        }
        if !current.status.canMove(to: event.status) {
            let allowed = current.status.successors.map(\.rawValue).joined(separator: ", ")
            throw TasksRuleViolation(
                field: "status",
                message: "status cannot go from \(current.status.rawValue) to \(event.status.rawValue) (task \(event.taskId) may go to: \(allowed))")
        }
        if let progress = event.progress, let previous = current.progress, progress < previous {
            throw TasksRuleViolation(
                field: "progress",
                message: "progress cannot go back from \(number(previous)) to \(number(progress)) (task \(event.taskId))")
        }
        return .apply(
            TaskRecord(
                status: event.status, progress: event.progress ?? current.progress, userId: current.userId,
                agentId: event.agentId))
    }

    /// A number as the messages (and Lua's `%.14g`) write it, for the values tests use.
    static func number(_ value: Double) -> String { JSONWriter.string(.number(value)) }
}
