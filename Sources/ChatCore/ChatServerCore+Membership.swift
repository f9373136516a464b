// ChatServerCore+Membership: who is in which room, and the sessions one
// certificate user holds at once (PROTOCOL.md, "Several sessions per
// certificate"). All of a user's sessions are members of the same rooms:
// a JOIN or PART by one is done for all (each is told with JOINED/PARTED of
// its own name), the others in the room hear of the user once, and a session
// that ends while its user still has others leaves silently. A room counts
// users, not connections. Anonymous users always have exactly one session.

extension ChatServerCore {
    /// The other live sessions of `session`'s user (empty for almost everyone).
    func siblings(of session: ChatSession) -> [ChatSession] {
        guard let all = sessionsByName[NameRules.key(session.name)], all.count > 1 else { return [] }
        return all.filter { $0 !== session }
    }

    /// A new session of a user who is already connected: it joins the user's rooms, silently.
    func attach(_ session: ChatSession, alongside sibling: ChatSession) {
        for roomName in sibling.rooms {
            guard let room = rooms[roomName] else { continue }
            room.add(session)
            room.extraSessions += 1
        }
        session.rooms = sibling.rooms
    }

    /// Adds `session`'s user (every session of it) to `roomName`, creating the room,
    /// and announces it; returns the room's user count. `session`'s current room
    /// becomes `roomName`; the other sessions keep theirs (or take it if they had none).
    func enter(_ roomName: String, _ session: ChatSession) -> Int {
        let room: ChatRoom
        if let existing = rooms[roomName] {
            room = existing
        } else {
            room = ChatRoom(name: roomName)
            room.certificateOnly = isCertificateOnlyByName(roomName)
            rooms[roomName] = room
        }
        let others = room.members
        let siblings = siblings(of: session)
        room.add(session)
        session.rooms.append(roomName)
        for sibling in siblings {
            room.add(sibling)
            room.extraSessions += 1
            sibling.rooms.insert(roomName, at: max(0, sibling.rooms.count - 1))
        }
        let joined = OutboundMessage(line: "JOINED \(roomName) \(session.name) \(session.trust.rawValue)", broadcast: true)
        _ = deliver(joined, to: others)
        if !siblings.isEmpty { _ = deliver(joined, to: siblings) }
        if let cluster {
            if others.isEmpty { cluster.roomInterest(roomName, hasLocalMembers: true) }
            cluster.joined(room: roomName, name: session.name, trust: session.trust)
        }
        return room.userCount + remoteCount(in: roomName)
    }

    /// Removes `session`'s user (every session of it) from `roomName`, announcing it
    /// to the rest of the room and to the user's other sessions.
    func leave(_ roomName: String, _ session: ChatSession, reason: String) {
        guard let room = rooms[roomName], room.remove(session) else { return }
        session.rooms.removeAll { $0 == roomName }
        let siblings = siblings(of: session)
        for sibling in siblings where room.remove(sibling) {
            room.extraSessions -= 1
            sibling.rooms.removeAll { $0 == roomName }
        }
        let parted = OutboundMessage(line: "PARTED \(roomName) \(session.name) \(session.trust.rawValue) \(reason)", broadcast: true)
        _ = deliver(parted, to: room.members)
        if !siblings.isEmpty { _ = deliver(parted, to: siblings) }
        if let cluster {
            cluster.parted(room: roomName, name: session.name, trust: session.trust, reason: reason)
            if room.members.isEmpty { cluster.roomInterest(roomName, hasLocalMembers: false) }
        }
        if room.members.isEmpty && roomName != lobby { rooms[roomName] = nil }
    }

    static let replacedByLogin = "NOTICE replaced another connection signed in with your certificate"

    /// Ends `session` because something else takes its place: what it staged gets its OK
    /// first, then `notice`, then it leaves its rooms (`quit`) and is closed once flushed.
    func endReplaced(_ session: ChatSession, notice: String) {
        commitNow(ifWaiting: session)
        session.send(notice)
        remove(session, reason: "quit")
        session.link.closeAfterFlush(.replaced)
    }

    /// Forgets a session everywhere; later calls are no-ops. The user leaves its
    /// rooms (with `reason`) only when this was its last session.
    func remove(_ session: ChatSession, reason: String) {
        guard !session.isGone else { return }
        session.isGone = true
        if session.wantsMessageIDs { sessionsWantingIDs -= 1 }
        let key = NameRules.key(session.name)
        if siblings(of: session).isEmpty {
            for roomName in session.rooms { leave(roomName, session, reason: reason) }
            cluster?.userLeft(name: session.name, trust: session.trust)
        } else {
            for roomName in session.rooms {
                guard let room = rooms[roomName], room.remove(session) else { continue }
                room.extraSessions -= 1
            }
            session.rooms = []
        }
        sessions[session.id] = nil
        sessionsByName[key]?.removeAll { $0 === session }
        if sessionsByName[key]?.isEmpty == true { sessionsByName[key] = nil }
        if let cluster, session.trust != .cert { releaseUnlessHeld(session.name, cluster: cluster) }
    }
}
