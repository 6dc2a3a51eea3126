import CoinDailyTestSupport
import CoinDailyTasks
import Testing

@Suite("Task state machine (pure)")
struct TaskStateMachineTests {
    func event(_ status: TaskStatus, progress: Double? = nil, user: String = "alice") -> TaskEvent {
        TaskEvent(taskId: "t-1", agentId: "a-1", userId: user, status: status, progress: progress, timestamp: t0)
    }

    func record(_ status: TaskStatus, progress: Double? = nil) -> TaskRecord {
        TaskRecord(status: status, progress: progress, userId: "alice", agentId: "a-1")
    }

    @Test("the transition table")
    func table() {
        let allowed: [TaskStatus: Set<TaskStatus>] = [
            .queued: [.queued, .processing, .cancelled, .failed],
            .processing: [.processing, .completed, .failed, .cancelled],
            .completed: [], .failed: [], .cancelled: [],
        ]
        for from in TaskStatus.allCases {
            for to in TaskStatus.allCases {
                #expect(from.canMove(to: to) == allowed[from]!.contains(to), "\(from) -> \(to)")
            }
        }
        #expect(TaskStatus.allCases.filter(\.isTerminal) == [.completed, .failed, .cancelled])
    }

    @Test("an unknown task may start in any status")
    func firstEvent() throws {
        for status in TaskStatus.allCases {
            #expect(try TaskStateMachine.verdict(current: nil, event: event(status, progress: 5)) == .apply(record(status, progress: 5)))
        }
    }

    @Test("queued cannot complete directly; processing cannot go back to queued")
    func illegal() {
        #expect(throws: TasksRuleViolation.self) { try TaskStateMachine.verdict(current: record(.queued), event: event(.completed)) }
        do {
            _ = try TaskStateMachine.verdict(current: record(.processing), event: event(.queued))
            Issue.record("accepted processing -> queued")
        } catch {
            #expect(error.field == "status")
            #expect(error.message == "status cannot go from processing to queued (task t-1 may go to: processing, completed, failed, cancelled)")
        }
    }

    @Test("nothing leaves a terminal state; a repeat of it is a duplicate")
    func terminal() throws {
        for final in [TaskStatus.completed, .failed, .cancelled] {
            #expect(try TaskStateMachine.verdict(current: record(final), event: event(final)) == .duplicate)
            for other in TaskStatus.allCases where other != final {
                #expect(throws: TasksRuleViolation(field: "status", message: "status cannot go from \(final.rawValue) to \(other.rawValue): task t-1 has finished")) {
                    try TaskStateMachine.verdict(current: record(final), event: event(other))
                }
            }
        }
    }

    @Test("progress never goes back; equal or absent progress is fine and keeps the highest")
    func progress() throws {
        #expect(throws: TasksRuleViolation(field: "progress", message: "progress cannot go back from 60 to 40 (task t-1)")) {
            try TaskStateMachine.verdict(current: record(.processing, progress: 60), event: event(.processing, progress: 40))
        }
        #expect(try TaskStateMachine.verdict(current: record(.processing, progress: 60), event: event(.processing, progress: 60)) == .apply(record(.processing, progress: 60)))
        #expect(try TaskStateMachine.verdict(current: record(.processing, progress: 60), event: event(.completed)) == .apply(record(.completed, progress: 60)))
        #expect(try TaskStateMachine.verdict(current: record(.queued, progress: 10), event: event(.processing, progress: 10.5)) == .apply(record(.processing, progress: 10.5)))
    }

    @Test("the owner never changes, checked before anything else")
    func owner() {
        #expect(throws: TasksRuleViolation(field: "userId", message: "userId cannot change: task t-1 belongs to alice")) {
            try TaskStateMachine.verdict(current: record(.completed), event: event(.completed, user: "bob"))
        }
    }

    @Test("pipeline status derivation")
    func pipelineStatus() {
        #expect(PipelineStatus.derive(completedStages: 0, totalStages: 3, anyFailed: false, anyStarted: false) == .pending)
        #expect(PipelineStatus.derive(completedStages: 0, totalStages: 3, anyFailed: false, anyStarted: true) == .processing)
        #expect(PipelineStatus.derive(completedStages: 3, totalStages: 3, anyFailed: false, anyStarted: true) == .completed)
        #expect(PipelineStatus.derive(completedStages: 2, totalStages: 3, anyFailed: true, anyStarted: true) == .failed)
    }
}
