/// The sessions of one event loop that receive one Redis channel: an array for fast iteration and
/// an index for O(1) removal.
final class SubscriberList {
    private(set) var members: [ClientSession] = []
    private var positions: [ObjectIdentifier: Int] = [:]

    var isEmpty: Bool { members.isEmpty }

    /// Adds `session`; returns false if it was already there.
    @discardableResult
    func insert(_ session: ClientSession) -> Bool {
        let id = ObjectIdentifier(session)
        guard positions[id] == nil else { return false }
        positions[id] = members.count
        members.append(session)
        return true
    }

    /// Removes `session` (swap with the last); returns false if it was not there.
    @discardableResult
    func remove(_ session: ClientSession) -> Bool {
        let id = ObjectIdentifier(session)
        guard let index = positions.removeValue(forKey: id) else { return false }
        let last = members.removeLast()
        if index < members.count {
            members[index] = last
            positions[ObjectIdentifier(last)] = index
        }
        return true
    }
}
