// ChatServerCore+Cluster: what the other nodes of a cluster did, applied to
// this node (PROTOCOL.md section 15). The cluster layer (ChatCluster's
// ClusterNode) calls these on the loop thread as their events arrive: users
// of other nodes arriving, leaving, joining, parting and renaming (kept in
// the ClusterDirectory and announced to this node's members of the rooms
// concerned), a node that is gone (its users leave with `quit`), private
// messages for this node's users, and the bookkeeping of this node's own
// stored room messages (room messages from the feed are delivered in
// ChatServerCore+ClusterFeed). The core's own announcements to the cluster
// go through ClusterLink from the membership and command code. Pure: no I/O.

extension ChatServerCore {
    /// Room messages sent on this node that the store acknowledged and the feed has not
    /// brought back yet: id -> sending session (skipped when the feed delivers it).
    public static let maximumOwnStoredMessages = 65_536

    public var isClustered: Bool { cluster != nil }

    /// A user of `node` began its first session there at `since` (seconds since the epoch;
    /// nil: unknown, counts as newest), knowing the user was on `supersedes` then. A `cert`
    /// user takes its name over: this node's sessions of that name are replaced, as a newer
    /// login on one node would be. Only when the two logins did not know of each other
    /// (neither arrival names the other node) is the later kept, by (start, node id), which
    /// both nodes decide alike: two logins at once keep exactly one session, not none or two.
    /// An anonymous name this node's user holds is not taken in (the name's claim is ours;
    /// the other node's user gives it up after its check, ClusterNameClaims).
    public func remoteUserArrived(name: String, trust: Trust, node: String, since: Int64? = nil, supersedes: String? = nil) {
        guard RemoteInputRules.isValidUser(name, trust: trust) else {
            return refuseRemoteInput("an arrival of '\(name.prefix(40))' (\(trust.rawValue)) from node \(node): not a valid name for that trust")
        }
        if trust != .cert, sessionsByName[NameRules.key(name)] != nil { return }
        if trust == .cert, let since, let local = sessionsByName[NameRules.key(name)]?.first, let cluster,
           supersedes != cluster.nodeID, (local.arrivedAt, cluster.nodeID) > (since, node) {
            return  // ours is the later login, unknown to the other node: it ends its session on hearing of ours
        }
        if trust == .cert, let locals = sessionsByName[NameRules.key(name)] {
            for session in locals {
                endReplaced(session, notice: Self.replacedByLogin)
            }
        }
        // A user who was on another node moved: it leaves there first (PARTED ... quit here).
        if let earlier = directory.user(name), earlier.node != node { remoteUserLeft(name: earlier.name, node: earlier.node) }
        directory.arrive(name: name, trust: trust, node: node)
    }

    /// Another node holds the anonymous `name` now (it took the name over while this node was
    /// cut off from the cluster): this node's sessions of that name end, told why.
    public func nameTakenElsewhere(_ name: String) {
        guard let sessions = sessionsByName[NameRules.key(name)], sessions.first?.trust != .cert else { return }
        for session in sessions {
            endReplaced(session, notice: "NOTICE replaced your name \(session.name) was taken on another node while this server was cut off from its cluster; connect again")
        }
    }

    /// The last session of a user of another node ended: it leaves the rooms it was still in.
    public func remoteUserLeft(name: String, node: String) {
        guard let user = directory.user(name), user.node == node else { return }
        for room in user.rooms { remoteParted(room: room, name: name, node: node, reason: "quit") }
        directory.remove(name)
    }

    public func remoteJoined(room: String, name: String, node: String) {
        guard RemoteInputRules.isValidRoom(room) else { return refuseRemoteInput("a join of '\(room.prefix(40))' from node \(node): not a valid room") }
        guard let user = directory.user(name), user.node == node, directory.join(room, name) else { return }
        guard let local = rooms[room] else { return }
        _ = deliver(OutboundMessage(line: "JOINED \(room) \(user.name) \(user.trust.rawValue)", broadcast: true), to: local.members)
    }

    public func remoteParted(room: String, name: String, node: String, reason: String) {
        guard reason == "part" || reason == "quit" else { return refuseRemoteInput("a part with reason '\(reason.prefix(40))' from node \(node)") }
        guard let user = directory.user(name), user.node == node, directory.part(room, name) else { return }
        guard let local = rooms[room] else { return }
        let line = "PARTED \(room) \(user.name) \(user.trust.rawValue) \(reason)"
        _ = deliver(OutboundMessage(line: line, broadcast: true), to: local.members)
    }

    public func remoteRenamed(from old: String, to new: String, node: String) {
        guard let user = directory.user(old), user.node == node else { return }
        guard RemoteInputRules.isValidUser(new, trust: user.trust) else {
            return refuseRemoteInput("a rename to '\(new.prefix(40))' from node \(node): not a valid name for that trust")
        }
        guard let renamed = directory.rename(old, to: new) else { return }
        var neighbours: [Int: ChatSession] = [:]
        for room in renamed.rooms { for member in rooms[room]?.members ?? [] { neighbours[member.id] = member } }
        let line = OutboundMessage(line: "RENAMED \(user.name) \(new) \(user.trust.rawValue)", broadcast: true)
        _ = deliver(line, to: neighbours.values.sorted { $0.id < $1.id })
    }

    /// `node` is gone (silent past the cluster's timeout, or it said so): its users leave.
    public func remoteNodeLost(_ node: String) {
        for user in directory.users(of: node) { remoteUserLeft(name: user.name, node: node) }
    }

    /// A private message from a user of another node for a user of this one.
    public func remotePrivateMessage(to recipient: String, from sender: String, trust: Trust, text: String, id: Int64?) {
        guard RemoteInputRules.isValidUser(sender, trust: trust), RemoteInputRules.isValidText(text) else {
            return refuseRemoteInput("a private message from '\(sender.prefix(40))': not a valid sender or text")
        }
        // Never to a session that must still upgrade with STARTTLS (it would read it in plaintext).
        guard let recipients = sessionsByName[NameRules.key(recipient)]?.filter({ !mustUpgradeFirst($0) }),
              !recipients.isEmpty else { return }
        let shared = recipients.count > 1
        let plain = OutboundMessage(words: "PRIV", sender, trust.rawValue, text, broadcast: shared)
        let withID = id.map { OutboundMessage(words: "PRIVID", String($0), sender, trust.rawValue, text, broadcast: shared) }
        _ = deliver(plain, withID: withID, to: recipients)
    }

    /// Remembers that `id` was delivered on this node already (bounded: the oldest id is
    /// forgotten first, the one the feed has most likely passed; a search, in overload only).
    func deliveredBeforeTheFeed(_ id: Int64) {
        if deliveredEarly.count >= Self.maximumOwnStoredMessages, let oldest = deliveredEarly.min() { deliveredEarly.remove(oldest) }
        deliveredEarly.insert(id)
    }

    /// Remembers that the feed will bring back `id`, sent by `sender` (who must not get it).
    func expectFromFeed(_ id: Int64, sender: ChatSession) {
        while ownStoredMessages.count >= Self.maximumOwnStoredMessages, ownStoredOrderHead < ownStoredOrder.count {
            ownStoredMessages[ownStoredOrder[ownStoredOrderHead]] = nil  // never came back (the feed restarted past it)
            ownStoredOrderHead += 1
        }
        if ownStoredOrderHead > 4096 && ownStoredOrderHead * 2 > ownStoredOrder.count {
            ownStoredOrder.removeFirst(ownStoredOrderHead)
            ownStoredOrderHead = 0
        }
        ownStoredMessages[id] = OwnStoredMessage(sender: sender)
        ownStoredOrder.append(id)
    }

    /// This node's users, for another node that asks for the cluster's state: name, trust
    /// and rooms of each (one entry per user, however many sessions it has).
    public func localUsers() -> [(name: String, trust: Trust, rooms: [String], since: Int64)] {
        sessionsByName.values.compactMap { sessions in
            guard let first = sessions.first(where: { !$0.isGone }) else { return nil }
            return (first.name, first.trust, first.rooms, first.arrivedAt)
        }.sorted { NameRules.key($0.name) < NameRules.key($1.name) }
    }

    /// In cluster mode guest names carry the node's suffix and NICK cannot take one.
    func isGuestName(_ name: String) -> Bool { NameRules.key(name).hasPrefix("~guest") }

    /// NICK in cluster mode: the name is claimed cluster-wide first (asynchronously; the
    /// session's later input is held meanwhile), then taken as on one node.
    func claimThenRename(_ name: String, _ session: ChatSession, cluster: any ClusterLink) -> String {
        session.awaitsStore = true
        cluster.claim(name: name) { [self] claimed in
            // A session that ended meanwhile gets no reply: give the name back at once.
            if claimed && session.isGone { releaseUnlessHeld(name, cluster: cluster) }
            storeAnswered(session) {
                guard claimed else {
                    return session.send(CommandError(.nameInUse, "\(name) is in use").line)
                }
                switch rename(session, to: name) {
                case .success(let taken): session.send("OK NICK \(taken)")
                case .failure(let error):
                    releaseUnlessHeld(name, cluster: cluster)
                    session.send(error.line)
                }
            }
        }
        return Self.replyAfterCommit
    }

    /// Gives `name` back to the cluster unless a session of this node holds it (two NICKs to one
    /// name on this node share one claim: the loser must not release the winner's).
    func releaseUnlessHeld(_ name: String, cluster: any ClusterLink) {
        guard sessionsByName[NameRules.key(name)] == nil, !isGuestName(name) else { return }
        cluster.release(name: name)
    }

    /// MSG to a user of another node: stored first between two `cert` users (sent to its
    /// node after the commit), else handed to its node at once.
    func messageRemoteUser(_ user: RemoteUser, _ text: String, from session: ChatSession, cluster: any ClusterLink) -> String {
        if history != nil, session.trust == .cert, user.trust == .cert {
            return stagePrivateMessage(to: user.name, text, from: session)
        }
        let handed = cluster.privateMessage(to: user.name, node: user.node, from: session.name, trust: session.trust,
                                            text: text, id: nil)
        return "\(user.name) sent \(handed ? 1 : 0)/1"
    }

    /// The users of another node, as this node knows them.
    public func remoteUsers(of node: String) -> [RemoteUser] { directory.users(of: node) }
    /// A user of another node, by name.
    public func remoteUser(_ name: String) -> RemoteUser? { directory.user(name) }

    /// Users of other nodes in `room` (for counts).
    func remoteCount(in room: String) -> Int { cluster == nil ? 0 : directory.count(in: room) }
}

/// A room message of this node the feed has not brought back yet. The sender is held weakly:
/// a session that ended meanwhile is let go (its message then reaches every member, which
/// no longer includes it).
struct OwnStoredMessage {
    weak var sender: ChatSession?
}

extension ChatServerCore {
    /// Drops something another node sent that RemoteInputRules refuses, saying what.
    func refuseRemoteInput(_ what: String) {
        refusedRemoteInput?(what)
    }
}
