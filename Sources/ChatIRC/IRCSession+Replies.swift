// IRCSession+Replies: the core's `OK`/`ERR` reply to each chat/1 command this
// session sent, as IRC: JOIN and PART echoes (with NAMES after a JOIN), NICK
// changes, echo-message copies, LIST numerics, and the error numerics (401
// no such nick, 403 no such channel, 404 cannot send, 405 too many channels,
// 412 no text, 432/433 nick errors, 442 not on channel, 477 certificate-only
// room). A reply with no command waiting for it (none is expected) becomes a
// server NOTICE, never a raw chat/1 line.
import ChatCore

extension IRCSession {
    /// `bytes`: the reply without its LF. An `OK` for a message the client needs no echo of
    /// (the common case) is consumed without decoding it.
    func handleReply(_ bytes: ArraySlice<UInt8>) {
        if !echoes, bytes.starts(with: [UInt8(ascii: "O"), UInt8(ascii: "K"), UInt8(ascii: " ")]),
           pendingStart < pending.count, case .message = pending[pendingStart] {
            pendingStart += 1
            if pendingStart == pending.count { pending.removeAll(keepingCapacity: true); pendingStart = 0 }
            return runLocalAnswers()
        }
        handleReply(String(decoding: bytes, as: UTF8.self))
    }

    func handleReply(_ line: String) {
        let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let isOK = words.first == "OK"
        let second = words.count > 1 ? words[1] : ""  // the verb of an OK, the code of an ERR
        let rest = words.count > 2 ? words[2] : ""
        guard let entry = takeReplyEntry() else {
            if !isOK { notice("\(second): \(rest)") }
            return
        }
        if !isOK, let code = ErrorCode(rawValue: second) {
            failed(entry, code: code, text: rest)
        } else if isOK {
            succeeded(entry, details: rest)
        }
        runLocalAnswers()
    }

    private func succeeded(_ entry: PendingReply, details: String) {
        let fields = details.split(separator: " ").map(String.init)
        switch entry {
        case .nick:
            guard let newName = fields.first, newName != name else { return }
            let oldPrefix = ownPrefix
            name = newName
            emit(IRCMessage(prefix: oldPrefix, command: "NICK", parameters: [nick], forceTrailing: true))
        case .join:
            if let room = fields.first { announceOwnJoin(room) }
        case .part(_, let reason):
            guard let room = fields.first else { return }
            channels.remove(room)
            emit(IRCMessage(prefix: ownPrefix, command: "PART", parameters: [room] + (reason.map { [$0] } ?? [])))
        case .message(let target, let text, let isNotice):
            guard echoes else { return }
            var tags: [(key: String, value: String)] = []
            if tagVariant & 1 != 0 { tags.append(("time", IRCTime.tagValue(milliseconds: clock()))) }
            if tagVariant & 2 != 0, trust == .cert { tags.append(("account", name)) }
            let shownTarget = target.hasPrefix("#") ? (fields.first ?? target) : target
            emit(IRCMessage(tags: tags, prefix: ownPrefix, command: isNotice ? "NOTICE" : "PRIVMSG", parameters: [shownTarget, text], forceTrailing: true))
        case .quit(let reason):
            emit(IRCMessage(command: "ERROR", parameters: ["Closing link: \(nick) (Quit: \(reason))"]))
        case .list(let filter):
            numeric("321", "Channel", ":Users  Name")
            for item in fields.dropFirst() where item.hasPrefix("#") {
                let parts = item.split(separator: ":")
                guard parts.count >= 2, filter?.contains(String(parts[0])) ?? true else { continue }
                numeric("322", String(parts[0]), String(parts[1]), ":")
            }
            numeric("323", ":End of /LIST")
        case .rateLimited, .lineTooLong, .local: break
        }
    }

    private func failed(_ entry: PendingReply, code: ErrorCode, text: String) {
        switch (entry, code) {
        case (.rateLimited, _), (_, .rateLimited): notice("too many commands; slow down (command dropped)")
        case (.lineTooLong, _), (_, .lineTooLong): emit(IRCMessage(command: "ERROR", parameters: ["Closing link: \(text)"]))
        case (.nick, .nameInUse): numeric("433", "*", ":Nickname is already in use")
        case (.nick, _): numeric("432", "*", ":Erroneous nickname: \(text)")
        case (.join(let room), .tooManyRooms): numeric("405", room, ":You have joined too many channels: \(text)")
        case (.join(let room), .notAllowed): numeric("477", room, ":Cannot join channel: \(text)")
        case (.join(let room), _), (.part(let room, _), .badArguments), (.part(let room, _), .noSuchRoom):
            numeric("403", room, ":No such channel: \(text)")
        case (.part(let room, _), _): numeric("442", room, ":You're not on that channel")
        case (.message(_, _, true), _): break  // never an automatic reply to a NOTICE
        case (.message(let target, _, _), .noSuchUser): numeric("401", target, ":No such nick/channel")
        case (.message(let target, _, _), .noSuchRoom): numeric("403", target, ":No such channel")
        case (.message(let target, _, _), .badArguments):
            if text.hasPrefix("usage") { numeric("412", ":No text to send") } else if target.hasPrefix("#") {
                numeric("403", target, ":No such channel: \(text)")
            } else {
                numeric("401", target, ":No such nick/channel")
            }
        case (.message(let target, _, _), _): numeric("404", target, ":Cannot send to channel: \(text)")
        case (.quit, _), (.list, _), (.local, _): notice("\(code.rawValue): \(text)")
        }
    }
}
