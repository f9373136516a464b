// ClusterDirectory: the users of the other nodes of a cluster, as this node
// last heard of them (ChatServerCore+Cluster keeps it from their presence
// events): each user's name, trust, node and rooms, and per room the users
// in it. WHO, ROOMS, a JOIN's count and `sent N/M` add these to the local
// members. Bounded: at most `maximumUsers` users (a peer node is trusted,
// but a bug there must not grow this node's memory without end). Plain data,
// no rules about what an event means.

public struct RemoteUser: Equatable, Sendable {
    public var name: String
    public var trust: Trust
    /// The node the user is connected to.
    public var node: String
    /// Rooms in the order they were joined.
    public var rooms: [String]
}

final class ClusterDirectory {
    static let maximumUsers = 1_000_000
    private(set) var users: [String: RemoteUser] = [:]
    private(set) var roomMembers: [String: Set<String>] = [:]

    func user(_ name: String) -> RemoteUser? { users[NameRules.key(name)] }

    /// Records a user of `node`; returns false when the directory is full.
    @discardableResult
    func arrive(name: String, trust: Trust, node: String) -> Bool {
        let key = NameRules.key(name)
        if let known = users[key], known.node == node {
            users[key]?.trust = trust
            users[key]?.name = name
            return true
        }
        if users[key] != nil { _ = remove(name) }
        guard users.count < Self.maximumUsers else { return false }
        users[key] = RemoteUser(name: name, trust: trust, node: node, rooms: [])
        return true
    }

    /// Adds `name` to `room`; returns false when the user is unknown or already there.
    func join(_ room: String, _ name: String) -> Bool {
        let key = NameRules.key(name)
        guard let user = users[key], !user.rooms.contains(room) else { return false }
        users[key]?.rooms.append(room)
        roomMembers[room, default: []].insert(key)
        return true
    }

    /// Removes `name` from `room`; returns false when it was not there.
    func part(_ room: String, _ name: String) -> Bool {
        let key = NameRules.key(name)
        guard let user = users[key], user.rooms.contains(room) else { return false }
        users[key]?.rooms.removeAll { $0 == room }
        roomMembers[room]?.remove(key)
        if roomMembers[room]?.isEmpty == true { roomMembers[room] = nil }
        return true
    }

    /// Renames a user, keeping its rooms; returns the user as it is now.
    func rename(_ old: String, to new: String) -> RemoteUser? {
        guard var user = remove(old) else { return nil }
        user.name = new
        let key = NameRules.key(new)
        users[key] = user
        for room in user.rooms { roomMembers[room, default: []].insert(key) }
        return user
    }

    /// Forgets a user and its rooms; returns it as it was.
    @discardableResult
    func remove(_ name: String) -> RemoteUser? {
        let key = NameRules.key(name)
        guard let user = users.removeValue(forKey: key) else { return nil }
        for room in user.rooms {
            roomMembers[room]?.remove(key)
            if roomMembers[room]?.isEmpty == true { roomMembers[room] = nil }
        }
        return user
    }

    /// The users of `node`, sorted by name.
    func users(of node: String) -> [RemoteUser] {
        users.values.filter { $0.node == node }.sorted { NameRules.key($0.name) < NameRules.key($1.name) }
    }

    func count(in room: String) -> Int { roomMembers[room]?.count ?? 0 }

    func members(in room: String) -> [RemoteUser] {
        (roomMembers[room] ?? []).compactMap { users[$0] }
    }

    var roomNames: Dictionary<String, Set<String>>.Keys { roomMembers.keys }
}
