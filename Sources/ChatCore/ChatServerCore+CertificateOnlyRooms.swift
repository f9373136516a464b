// ChatServerCore+CertificateOnlyRooms: rooms that admit `cert` users only
// (PROTOCOL.md section 12). A room becomes one when the operator names it
// (tlschatd --cert-only-room: whenever the room exists) or when a `cert`
// member sends `CERTONLY` while every member is a `cert` user. A mark is never
// lifted: it stays when the room empties and is re-created, and a server that
// keeps history stores it with the room's messages (so a restart keeps it too),
// since the messages said under it must never become readable by anyone who
// could join afterwards. Nobody is ever removed by it: marking is refused
// while a member with lower trust is in the room, and since a session's trust
// never goes down, every member of such a room stays a `cert` user, so the
// room can never carry a message from an anonymous or plaintext sender (SAY
// and MSG check it again anyway). The starting room admits everyone.
// Rules only; how clients see the flag is CAP `room-flags` (ROOMS, WHO, and a
// NOTICE to members who enabled it).

extension ChatServerCore {
    /// Why `session` may not enter or speak in `roomName`, or nil when it may.
    func certificateOnlyRefusal(_ roomName: String, _ session: ChatSession) -> CommandError? {
        guard session.trust != .cert else { return nil }
        guard rooms[roomName]?.certificateOnly ?? isCertificateOnlyByName(roomName)
                || pendingCertificateOnlyMarks[roomName] != nil else { return nil }
        return CommandError(.notAllowed, "\(roomName) admits certificate users only; you are \(session.trust.rawValue)")
    }

    /// Whether a room of this name admits cert users only whenever it exists.
    func isCertificateOnlyByName(_ roomName: String) -> Bool {
        limits.certificateOnlyRooms.contains(roomName) || markedCertificateOnlyRooms.contains(roomName)
    }

    /// Reads the marks the history store kept (at start, once the store is set).
    public func loadCertificateOnlyMarks() throws(HistoryError) {
        guard let history else { return }
        markedCertificateOnlyRooms.formUnion(try history.certificateOnlyRooms())
    }

    /// CERTONLY ROOM: marks a room the sender is in, if the sender and every member are `cert` users.
    func makeCertificateOnly(_ roomName: String, by session: ChatSession) -> Result<String, CommandError> {
        guard let room = rooms[roomName], session.rooms.contains(roomName) else {
            return .failure(CommandError(.notInRoom, "you are not in \(roomName)"))
        }
        if room.certificateOnly { return .success(roomName) }
        guard session.trust == .cert else {
            return .failure(CommandError(.notAllowed, "only certificate users can make a room certificate-only"))
        }
        guard roomName != lobby else {
            return .failure(CommandError(.notAllowed, "\(roomName) is the starting room and admits everyone"))
        }
        if let other = room.members.first(where: { $0.trust != .cert }) {
            return .failure(CommandError(.notAllowed, "\(other.name) (\(other.trust.rawValue)) is in \(roomName); everyone must be a certificate user"))
        }
        if cluster != nil, let other = directory.members(in: roomName).first(where: { $0.trust != .cert }) {
            return .failure(CommandError(.notAllowed, "\(other.name) (\(other.trust.rawValue)) is in \(roomName); everyone must be a certificate user"))
        }
        guard let history else {
            applyCertificateOnlyMark(roomName, by: session)
            return .success(roomName)
        }
        // The OK waits for the store to keep the mark; lower trust is kept out meanwhile.
        session.awaitsStore = true
        pendingCertificateOnlyMarks[roomName, default: 0] += 1
        history.markCertificateOnly(room: roomName) { [self] result in
            pendingCertificateOnlyMarks[roomName, default: 1] -= 1
            if pendingCertificateOnlyMarks[roomName] == 0 { pendingCertificateOnlyMarks[roomName] = nil }
            switch result {
            case .failure(let error): historyFailed?(error)
            case .success: applyCertificateOnlyMark(roomName, by: session)
            }
            storeAnswered(session) {
                switch result {
                case .failure: session.send(CommandError(.historyFailed, "cannot record the mark with the room's history right now; try again").line)
                case .success: session.send("OK CERTONLY \(roomName)")
                }
            }
        }
        return .success(Self.replyAfterCommit)
    }

    /// The mark is kept: the room (now, and whenever it exists again) admits `cert` users
    /// only, and its members who enabled room-flags are told.
    private func applyCertificateOnlyMark(_ roomName: String, by session: ChatSession) {
        cluster?.certificateOnly(room: roomName, by: session.name)
        applyCertificateOnlyMark(roomName, byName: session.name, except: session)
    }

    /// Another node's member made `roomName` certificate-only (the mark is stored already).
    public func remoteCertificateOnly(room roomName: String, by name: String) {
        guard RemoteInputRules.isValidRoom(roomName), RemoteInputRules.isValidName(name) else {
            return refuseRemoteInput("a certificate-only mark of '\(roomName.prefix(40))' by '\(name.prefix(40))': not a valid room or name")
        }
        takeOutLowerTrustMembers(of: roomName, setBy: "set by \(name) on another node")  // joined while the mark travelled
        applyCertificateOnlyMark(roomName, byName: name, except: nil)
    }

    /// A mark this node learned late (set by another node while this one was cut off from
    /// the cluster): the room admits cert users only from now on, and members of this node
    /// that are not `cert` users (they joined meanwhile) are taken out of it, with a NOTICE.
    public func certificateOnlyMarkLearned(room roomName: String) {
        guard RemoteInputRules.isValidRoom(roomName) else {
            return refuseRemoteInput("a certificate-only mark of '\(roomName.prefix(40))': not a valid room")
        }
        takeOutLowerTrustMembers(of: roomName, setBy: "set on another node")
        markedCertificateOnlyRooms.insert(roomName)
        guard let room = rooms[roomName], !room.certificateOnly else { return }
        room.certificateOnly = true
        let notice = OutboundMessage(line: "NOTICE cert-only \(roomName) admits certificate users only from now on (set on another node)",
                                     broadcast: true)
        _ = deliver(notice, to: room.members.filter { $0.wantsRoomFlags })
    }

    /// Members of this node that are not `cert` users leave a room marked elsewhere, told why.
    private func takeOutLowerTrustMembers(of roomName: String, setBy origin: String) {
        for member in rooms[roomName]?.members ?? [] where member.trust != .cert && member.rooms.contains(roomName) {
            member.send("NOTICE cert-only \(roomName) admits certificate users only (\(origin)): you are no longer in it")
            leave(roomName, member, reason: "part")
        }
    }

    private func applyCertificateOnlyMark(_ roomName: String, byName name: String, except setter: ChatSession?) {
        markedCertificateOnlyRooms.insert(roomName)
        guard let room = rooms[roomName], !room.certificateOnly else { return }
        room.certificateOnly = true
        let notice = OutboundMessage(line: "NOTICE cert-only \(roomName) admits certificate users only from now on (set by \(name))", broadcast: true)
        _ = deliver(notice, to: room.members.filter { $0.wantsRoomFlags && $0 !== setter })
    }
}
