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
        guard rooms[roomName]?.certificateOnly ?? isCertificateOnlyByName(roomName) else { return nil }
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
        if let history {
            do {
                try history.markCertificateOnly(room: roomName)
            } catch {
                historyFailed?(error)
                return .failure(CommandError(.historyFailed, "cannot record the mark with the room's history right now; try again"))
            }
        }
        markedCertificateOnlyRooms.insert(roomName)
        room.certificateOnly = true
        let notice = OutboundMessage(line: "NOTICE cert-only \(roomName) admits certificate users only from now on (set by \(session.name))", broadcast: true)
        _ = deliver(notice, to: room.members.filter { $0.wantsRoomFlags && $0 !== session })
        return .success(roomName)
    }
}
