// ChatServerCore+Commands: what each chat/1 command does (PROTOCOL.md
// section 6). Each handler returns the details of its `OK` reply or the
// error; `receive(line:from:)` turns that into exactly one reply line.

extension ChatServerCore {
    func execute(_ command: Command, for session: ChatSession) -> Result<String, CommandError> {
        if let refusal = refusalBeforeStartTLS(command, session) { return .failure(refusal) }
        switch command {
        case .nick(let requested): return nick(requested, session)
        case .join(let room): return join(room, session)
        case .part(let room): return part(room, session)
        case .say(let text): return say(text, session)
        case .message(let target, let text): return message(target, text, session)
        case .rooms: return .success(listRooms(for: session))
        case .who(let room): return who(room, session)
        case .whoAmI:
            let fingerprint = session.credentials.certificateFingerprint ?? "-"
            return .success("\(session.name) \(session.trust.rawValue) \(session.credentials.transport.rawValue) \(fingerprint) \(session.currentRoom ?? "-")")
        case .ping(let token): return .success(token ?? "")
        case .help: return .success(Command.allVerbs.joined(separator: " "))
        case .bye: return .success("")
        case .capabilities(let request): return capabilities(request, session)
        case .history(let target, let range, let limit): return readHistory(target, range, limit: limit, for: session)
        case .certificateOnly(let room): return roomOrCurrent(room, session).flatMap { makeCertificateOnly($0, by: session) }
        case .startTLS: return startTLS(session)
        }
    }

    private func nick(_ requested: String, _ session: ChatSession) -> Result<String, CommandError> {
        if session.trust == .cert {
            guard NameRules.key(requested) == NameRules.key(session.name) else {
                return .failure(CommandError(.notAllowed, "your name \(session.name) comes from your certificate"))
            }
            return .success(session.name)
        }
        guard let name = rules.anonymousName(requested) else {
            return .failure(CommandError(.badArguments, "a name is 1-\(limits.maximumNameLength - 1) characters of A-Z a-z 0-9 . _ - (shown with a ~ prefix)"))
        }
        let key = NameRules.key(name)
        guard !NameRules.reservedAnonymousNames.contains(key) else {
            return .failure(CommandError(.nameReserved, "\(name) is reserved"))
        }
        if let cluster, key != NameRules.key(session.name) {
            if isGuestName(name) { return .failure(CommandError(.nameReserved, "guest names are given by the server")) }
            if sessionsByName[key] != nil || directory.user(name) != nil {
                return .failure(CommandError(.nameInUse, "\(name) is in use"))
            }
            return .success(claimThenRename(name, session, cluster: cluster))
        }
        return rename(session, to: name)
    }

    /// Gives anonymous `session` the valid, unreserved `name` unless a session holds it.
    func rename(_ session: ChatSession, to name: String) -> Result<String, CommandError> {
        let key = NameRules.key(name)
        if let holder = sessionsByName[key]?.first, holder !== session {
            return .failure(CommandError(.nameInUse, "\(name) is in use"))
        }
        guard !session.isGone else { return .failure(CommandError(.nameInUse, "\(name) is in use")) }
        let old = session.name
        guard old != name else { return .success(name) }
        sessionsByName[NameRules.key(old)] = nil
        session.name = name
        sessionsByName[key] = [session]
        session.link.sessionRenamed(from: old, to: name)
        var neighbours: [Int: ChatSession] = [:]
        for roomName in session.rooms { for member in rooms[roomName]?.members ?? [] where member !== session { neighbours[member.id] = member } }
        _ = deliver(OutboundMessage(line: "RENAMED \(old) \(name) \(session.trust.rawValue)", broadcast: true), to: Array(neighbours.values))
        if let cluster {
            cluster.renamed(from: old, to: name, trust: session.trust)
            releaseUnlessHeld(old, cluster: cluster)
        }
        return .success(name)
    }

    func validRoom(_ requested: String) -> Result<String, CommandError> {
        guard let room = rules.roomName(requested) else {
            return .failure(CommandError(.badArguments, "a room name is # and 1-\(limits.maximumRoomNameLength) characters of A-Z a-z 0-9 . _ -"))
        }
        return .success(room)
    }

    private func join(_ requested: String, _ session: ChatSession) -> Result<String, CommandError> {
        validRoom(requested).flatMap { room in
            if session.rooms.contains(room) { return completeJoin(room, session) }
            if let refusal = joinRefusal(room, session) { return .failure(refusal) }
            return joinWithHistory(room, session)  // joins at once unless join-history is on
        }
    }

    /// Why `session` may not join `room` now (it is not a member), or nil.
    private func joinRefusal(_ room: String, _ session: ChatSession) -> CommandError? {
        guard session.rooms.count < limits.maximumRoomsPerClient else {
            return CommandError(.tooManyRooms, "at most \(limits.maximumRoomsPerClient) rooms per client")
        }
        guard rooms[room] != nil || rooms.count < limits.maximumRooms else {
            return CommandError(.tooManyRooms, "the server has its maximum of \(limits.maximumRooms) rooms")
        }
        return certificateOnlyRefusal(room, session)
    }

    /// The join itself (checked again: a join that waited for its history may find the
    /// room full or certificate-only by now): returns the `OK JOIN` details.
    func completeJoin(_ room: String, _ session: ChatSession) -> Result<String, CommandError> {
        if session.rooms.contains(room) {
            session.rooms.removeAll { $0 == room }
            session.rooms.append(room)  // already a member: just make it current
            return .success("\(room) \(rooms[room]?.userCount ?? 0)")
        }
        if let refusal = joinRefusal(room, session) { return .failure(refusal) }
        return .success("\(room) \(enter(room, session))")
    }

    /// The named room (validated) or the current one.
    func roomOrCurrent(_ requested: String?, _ session: ChatSession) -> Result<String, CommandError> {
        if let requested { return validRoom(requested) }
        guard let current = session.currentRoom else {
            return .failure(CommandError(.noCurrentRoom, "you are in no room; JOIN one"))
        }
        return .success(current)
    }

    private func part(_ requested: String?, _ session: ChatSession) -> Result<String, CommandError> {
        roomOrCurrent(requested, session).flatMap { room in
            guard session.rooms.contains(room) else { return .failure(CommandError(.notInRoom, "you are not in \(room)")) }
            leave(room, session, reason: "part")
            return .success(room)
        }
    }

    private func say(_ text: String, _ session: ChatSession) -> Result<String, CommandError> {
        roomOrCurrent(nil, session).flatMap { room in
            if let refusal = certificateOnlyRefusal(room, session) { return .failure(refusal) }
            return .success(history != nil ? stageRoomMessage(room, text, from: session, verb: "SAY") : "\(room) \(sendToRoom(room, text, from: session))")
        }
    }

    private func sendToRoom(_ room: String, _ text: String, from session: ChatSession) -> String {
        let line = OutboundMessage(words: "MSG", room, session.name, session.trust.rawValue, text, broadcast: true)
        let (sent, total) = fanOut(line, in: room, except: session)
        counters.roomMessages += 1
        counters.deliveries += sent
        return "sent \(sent)/\(total)"
    }

    private func message(_ target: String, _ text: String, _ session: ChatSession) -> Result<String, CommandError> {
        if target.hasPrefix("#") {
            return validRoom(target).flatMap { room in
                guard rooms[room] != nil else { return .failure(CommandError(.noSuchRoom, "no room \(room)")) }
                guard session.rooms.contains(room) else { return .failure(CommandError(.notInRoom, "join \(room) first")) }
                if let refusal = certificateOnlyRefusal(room, session) { return .failure(refusal) }
                if history != nil { return .success(stageRoomMessage(room, text, from: session, verb: "MSG")) }
                return .success("\(room) \(sendToRoom(room, text, from: session))")
            }
        }
        // A session that must still upgrade (--plain-require-starttls) is not reachable yet:
        // its private messages would cross the network in plaintext.
        if sessionsByName[NameRules.key(target)] == nil, let cluster, let remote = directory.user(target) {
            return .success(messageRemoteUser(remote, text, from: session, cluster: cluster))
        }
        guard let recipients = sessionsByName[NameRules.key(target)], let recipient = recipients.first,
              !mustUpgradeFirst(recipient) else {
            return .failure(CommandError(.noSuchUser, "no user \(target) is connected"))
        }
        if history != nil, session.trust == .cert, recipient.trust == .cert {  // stored: only between certificate users
            return .success(stagePrivateMessage(to: recipient.name, text, from: session))
        }
        let line = OutboundMessage(words: "PRIV", session.name, session.trust.rawValue, text, broadcast: recipients.count > 1)
        let (sent, total) = deliver(line, to: recipients)  // every session of the user
        counters.privateMessages += 1
        counters.deliveries += sent
        return .success("\(recipient.name) sent \(sent)/\(total)")
    }

    /// "+N" when a list was cut at the limit.
    private func listed(_ items: [String]) -> String {
        let shown = items.prefix(limits.maximumListedItems)
        var words = Array(shown)
        if items.count > shown.count { words.append("+\(items.count - shown.count)") }
        return words.joined(separator: " ")
    }

    private func listRooms(for session: ChatSession) -> String {
        var names = Set(rooms.keys)
        if cluster != nil { names.formUnion(directory.roomNames) }
        let items = names.sorted().map { name in
            let certificateOnly = rooms[name]?.certificateOnly ?? isCertificateOnlyByName(name)
            return "\(name):\((rooms[name]?.userCount ?? 0) + remoteCount(in: name))" + (session.wantsRoomFlags && certificateOnly ? ":cert" : "")
        }
        return items.isEmpty ? "0" : "\(items.count) \(listed(items))"
    }

    private func who(_ requested: String?, _ session: ChatSession) -> Result<String, CommandError> {
        roomOrCurrent(requested, session).flatMap { room in
            let remote = cluster == nil ? [] : directory.members(in: room)
            guard rooms[room] != nil || !remote.isEmpty else { return .failure(CommandError(.noSuchRoom, "no room \(room)")) }
            let members = rooms[room]?.members ?? []
            let certificateOnly = rooms[room]?.certificateOnly ?? isCertificateOnlyByName(room)
            let shownRoom = session.wantsRoomFlags && certificateOnly ? "\(room):cert" : room
            var seen = Set<String>()  // a user with several sessions is listed once
            let local = members.compactMap { member -> (String, String)? in
                let key = NameRules.key(member.name)
                return seen.insert(key).inserted ? (key, "\(member.name):\(member.trust.rawValue)") : nil
            }
            let others = remote.compactMap { user -> (String, String)? in
                let key = NameRules.key(user.name)
                return seen.insert(key).inserted ? (key, "\(user.name):\(user.trust.rawValue)") : nil
            }
            let items = (local + others).sorted { $0.0 < $1.0 }.map(\.1)
            return .success(items.isEmpty ? "\(shownRoom) 0" : "\(shownRoom) \(items.count) \(listed(items))")
        }
    }

    /// `CAP LS`: what this server offers, as NAME=VALUE words clients may ignore.
    /// `CAP REQ`: enable capabilities, all or none (PROTOCOL.md sections 10 and 11).
    private func capabilities(_ request: [String]?, _ session: ChatSession) -> Result<String, CommandError> {
        guard let request else {
            let rate = limits.commandsPerSecond
            let perSecond = rate == rate.rounded() && rate < 1e15 ? String(Int(rate)) : String(rate)
            return .success("LS rate=\(limits.commandBurst)/\(perSecond) line=\(limits.maximumLineLength) sessions=\(limits.sessionsPerUser) room-flags\(historyCapabilityTokens)\(startTLSCapabilityToken(session))")
        }
        guard let refused = enableCapabilities(request, for: session) else { return .success("REQ " + request.joined(separator: " ")) }
        let shown = refused.count > 32 ? String(refused.prefix(32)) + "..." : refused
        return .failure(CommandError(.badArguments, "no capability '\(shown)' to enable; CAP LS lists what this server offers"))
    }
}
