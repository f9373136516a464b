// IRCSession+Events: what the core sends this session, as IRC. Room events
// shared by many members (MSG, JOINED, PARTED, RENAMED) go through the
// server's IRCBroadcastCache (IRCEventTranslator); the greeting becomes the
// welcome burst; PRIV a PRIVMSG to this nick; NOTICE a server NOTICE (and,
// for the topics that end the session, an ERROR line before the close); PING
// an IRC PING; OK/ERR replies go to IRCSession+Replies. Lines of extensions
// IRC sessions never enable (HIST, cert-only notices) are dropped.
import ChatCore

extension IRCSession {
    static let okPrefix = Array("OK ".utf8), errorPrefix = Array("ERR ".utf8)

    /// NOTICE topics after which the core closes the session.
    static let closingTopics: Set<Substring> = ["replaced", "shutdown", "idle", "flood", "revoked"]

    func translate(_ message: OutboundMessage, to transport: any IRCTransport) -> Bool {
        if message.isBroadcast, let shared = cache.translation(of: message, variant: tagVariant, info: info, clock: clock) {
            return deliverShared(shared, to: transport)
        }
        let bytes = message.bytes.dropLast()
        if bytes.starts(with: Self.okPrefix) || bytes.starts(with: Self.errorPrefix) {
            handleReply(bytes)
            return self.transport != nil
        }
        let line = String(decoding: bytes, as: UTF8.self)
        let words = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        let rest = words.count > 1 ? words[1] : ""
        switch words.first ?? "" {
        case "HELLO": greeted(rest)
        case "PRIV": privateMessage(rest)
        case "NOTICE": serverNotice(rest)
        case "PING": emit(IRCMessage(prefix: info.serverName, command: "PING", parameters: [String(rest)], forceTrailing: true))
        default:
            if let lines = IRCEventTranslator.roomEvent(line, variant: tagVariant, info: info, milliseconds: clock()) {
                return transport.write(OutboundMessage(ircLines: lines))
            }
        }
        return self.transport != nil
    }

    /// `chat/1 SERVER TRANSPORT NAME TRUST ROOM`: who this connection is; the welcome follows.
    private func greeted(_ fields: Substring) {
        let words = fields.split(separator: " ")
        guard words.count >= 5 else { return }
        name = String(words[3])
        trust = Trust(rawValue: String(words[4])) ?? .plain
        welcome()
    }

    /// `FROM TRUST TEXT`: a private message to this client.
    private func privateMessage(_ fields: Substring) {
        let words = fields.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard words.count == 3 else { return }
        let sender = IRCNicks.nick(forName: String(words[0]))
        var tags: [(key: String, value: String)] = []
        if tagVariant & 1 != 0 { tags.append(("time", IRCTime.tagValue(milliseconds: clock()))) }
        if tagVariant & 2 != 0, words[1] == "cert" { tags.append(("account", String(words[0]))) }
        let lines = IRCEventTranslator.privmsgLines(tags: tags, prefix: "\(sender)!\(words[1])@\(info.userHost)", target: nick,
                                                    text: String(words[2]))
        _ = transport?.write(OutboundMessage(ircLines: lines))
    }

    /// `TOPIC TEXT`: server information, shown as `[topic] text`.
    private func serverNotice(_ fields: Substring) {
        let words = fields.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard let topic = words.first else { return }
        let text = words.count > 1 ? String(words[1]) : ""
        notice("[\(topic)] \(text)")
        if Self.closingTopics.contains(topic) {
            emit(IRCMessage(command: "ERROR", parameters: ["Closing link: \(text)"]))
        }
    }

    /// Tells the client it is in `room` (JOIN, then the room's names), once.
    func announceOwnJoin(_ room: String) {
        guard channels.insert(room).inserted else { return }
        var tags: [(key: String, value: String)] = []
        if tagVariant & 1 != 0 { tags.append(("time", IRCTime.tagValue(milliseconds: clock()))) }
        if tagVariant & 2 != 0, trust == .cert { tags.append(("account", name)) }
        emit(IRCMessage(tags: tags, prefix: ownPrefix, command: "JOIN", parameters: [room]))
        sendNames(room)
    }
}
