import Synchronization

/// The Engine.IO sessions of this process, by `sid`. Sessions live in one gateway; with several
/// gateways, long-polling needs sticky routing (see `docs/socketio.md`).
final class EngineIORegistry: Sendable {
    private let sessions = Mutex<[String: EngineIOSession]>([:])

    func add(_ session: EngineIOSession) { sessions.withLock { $0[session.id] = session } }
    func remove(_ id: String) { sessions.withLock { $0[id] = nil } }
    func session(_ id: String) -> EngineIOSession? { sessions.withLock { $0[id] } }
    var count: Int { sessions.withLock { $0.count } }
    var all: [EngineIOSession] { sessions.withLock { Array($0.values) } }
}
