// ClusterNode+Receiving: what another node's presence event does here. An
// event is decoded (anything else is logged and dropped) and our own echo
// ignored; a node heard for the first time is asked for its state (`hello`),
// and one heard again after it was declared lost means a partition healed
// (ClusterNode+Rejoining). Each kind is applied to the chat core (which
// checks what it is given, RemoteInputRules); a node's state, possibly in
// parts (StateAssembly), is made to match exactly: users and rooms it no
// longer lists leave, new ones arrive and join. It sends nothing but the
// hello and the answer to one.
import ChatCore
import ChatNet

extension ClusterNode {
    func received(_ payload: [UInt8], direct: Bool) {
        guard let event = PresenceEvent.decode(payload) else {
            log?("warning", "cluster: ignored a message that is not a presence event (\(payload.count) bytes)")
            return
        }
        guard event.node != nodeID else { return }  // our own, echoed
        let isNew = lastHeard[event.node] == nil
        lastHeard[event.node] = MonotonicClock.now()
        if isNew, lostNodes.remove(event.node) != nil {
            log?("notice", "cluster: node \(event.node) is heard again (a partition healed)")
            rejoined(checkingNames: true)
        }
        if isNew && event.kind != .hello && event.kind != .state && event.kind != .bye {
            var ask = PresenceEvent(.hello, node: nodeID)  // a node we never heard of: ask for its users
            ask.to = event.node
            send(ask, to: naming.nodeSubject(event.node))
        }
        apply(event)
    }

    private func apply(_ event: PresenceEvent) {
        let node = event.node
        switch event.kind {
        case .heartbeat: if let seen = event.id, seen > 0 { highestSequence = max(highestSequence, UInt64(seen)) }
        case .hello: sendState(to: naming.nodeSubject(node))
        case .bye:
            lastHeard[node] = nil
            stateParts[node] = nil
            log?("notice", "cluster: node \(node) stopped; its users left")
            core.remoteNodeLost(node)
        case .state:
            if let users = stateParts[node, default: StateAssembly()].add(event, now: MonotonicClock.now()) {
                applyState(of: node, users)
            }
        case .arrive:
            core.remoteUserArrived(name: event.name!, trust: event.trustValue!, node: node, since: event.since, supersedes: event.supersedes)
        case .leave: core.remoteUserLeft(name: event.name!, node: node)
        case .join: core.remoteJoined(room: event.room!, name: event.name!, node: node)
        case .part: core.remoteParted(room: event.room!, name: event.name!, node: node, reason: event.reason!)
        case .rename: core.remoteRenamed(from: event.name!, to: event.to!, node: node)
        case .certificateOnly: core.remoteCertificateOnly(room: event.room!, by: event.name!)
        case .privateMessage:
            core.remotePrivateMessage(to: event.to!, from: event.name!, trust: event.trustValue!, text: event.text!, id: event.id)
        }
    }

    /// Makes the directory's view of `node` match its state: users and rooms it no longer
    /// has leave, new ones arrive and join.
    private func applyState(of node: String, _ users: [PresenceEvent.User]) {
        let listed = Set(users.map { NameRules.key($0.name) })
        for known in core.remoteUsers(of: node) where !listed.contains(NameRules.key(known.name)) {
            core.remoteUserLeft(name: known.name, node: node)
        }
        for user in users {
            guard let trust = Trust(rawValue: user.trust) else { continue }
            let before = core.remoteUser(user.name)
            if before?.node != node { core.remoteUserArrived(name: user.name, trust: trust, node: node, since: user.since) }
            let had = before?.node == node ? before!.rooms : []
            for room in had where !user.rooms.contains(room) { core.remoteParted(room: room, name: user.name, node: node, reason: "part") }
            for room in user.rooms where !had.contains(room) { core.remoteJoined(room: room, name: user.name, node: node) }
        }
    }
}
