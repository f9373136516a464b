// IRCSession+Commands: IRC commands of a registered client. Those that
// change chat state become chat/1 commands for the core (PRIVMSG and NOTICE ->
// MSG, JOIN, PART, NICK, LIST -> ROOMS, QUIT -> BYE), one per target, each with
// the entry that translates its reply (IRCSession+Replies). Questions the core
// answers without a command (NAMES, WHO, WHOIS, TOPIC, MODE) and the IRC-only
// ones (PING, CAP, MOTD) are answered here in command order. Everything else
// gets its error numeric: 421 unknown command (AWAY too: chat/1 has no
// presence), 462 for USER/PASS again, 461 for missing parameters.
import ChatCore

extension IRCSession {
    func dispatch(_ message: IRCMessage) {
        let parameters = message.parameters
        switch message.command {
        case "PRIVMSG", "NOTICE": sendText(parameters, isNotice: message.command == "NOTICE")
        case "JOIN": join(parameters)
        case "PART": part(parameters)
        case "NICK":
            guard let wanted = parameters.first, !wanted.isEmpty else { return answer { $0.numeric("431", ":No nickname given") } }
            command("NICK \(IRCNicks.name(forNick: wanted))", .nick)
        case "LIST":
            let filter = parameters.first.map { Set($0.split(separator: ",").map { NameRules.key(String($0)) }) }
            command("ROOMS", .list(filter: filter))
        case "QUIT": command("BYE", .quit(parameters.first ?? "quit"))
        case "NAMES":
            answer { session in
                guard let rooms = parameters.first else { return session.numeric("366", "*", ":End of /NAMES list") }
                for room in rooms.split(separator: ",").prefix(session.info.maximumTargets) { session.sendNames(String(room)) }
            }
        case "WHO": answer { $0.who(parameters.first ?? "*") }
        case "WHOIS":
            // WHOIS [server] nick: the nick is the last parameter.
            guard let target = parameters.last, !target.isEmpty else { return answer { $0.numeric("431", ":No nickname given") } }
            answer { $0.whois(target) }
        case "TOPIC":
            guard let room = parameters.first else { return answer { $0.numeric("461", "TOPIC", ":Not enough parameters") } }
            answer { $0.topic(room, change: parameters.count > 1) }
        case "MODE":
            guard let target = parameters.first else { return answer { $0.numeric("461", "MODE", ":Not enough parameters") } }
            answer { $0.mode(target, Array(parameters.dropFirst())) }
        case "PING":
            answer { $0.emit(IRCMessage(prefix: $0.info.serverName, command: "PONG", parameters: [$0.info.serverName, parameters.first ?? ""])) }
        case "PONG": break
        case "CAP": answer { $0.capability(parameters) }
        case "AUTHENTICATE": answer { $0.numeric($0.loggedIn ? "907" : "462", ":You may not reregister") }
        case "USER", "PASS": answer { $0.numeric("462", ":You may not reregister") }
        case "MOTD": answer { $0.numeric("422", ":MOTD File is missing") }
        default:
            let verb = message.command
            answer { $0.numeric("421", verb, ":Unknown command") }
        }
    }

    private func targets(_ list: String, command verb: String) -> [String] {
        let all = list.split(separator: ",").map(String.init)
        if all.count > info.maximumTargets {
            answer { $0.numeric("407", list, ":Too many targets (at most \($0.info.maximumTargets)); none were used") }
            return []
        }
        return all
    }

    private func sendText(_ parameters: [String], isNotice: Bool) {
        let verb = isNotice ? "NOTICE" : "PRIVMSG"
        guard let list = parameters.first, !list.isEmpty else {
            return isNotice ? () : answer { $0.numeric("411", ":No recipient given (\(verb))") }
        }
        guard parameters.count > 1, !parameters[1].isEmpty else {
            return isNotice ? () : answer { $0.numeric("412", ":No text to send") }
        }
        guard let text = IRCText.chatText(fromIRC: parameters[1]) else { return }  // a CTCP request: not relayed
        for target in targets(list, command: verb) {
            let chatTarget = target.hasPrefix("#") ? target : IRCNicks.name(forNick: target)
            command("MSG \(chatTarget) \(text)", .message(target: target, text: parameters[1], isNotice: isNotice))
        }
    }

    private func join(_ parameters: [String]) {
        guard let list = parameters.first, !list.isEmpty else { return answer { $0.numeric("461", "JOIN", ":Not enough parameters") } }
        if list == "0" {
            for room in channels.sorted() { command("PART \(room)", .part(room, reason: "left all channels")) }
            return
        }
        for room in targets(list, command: "JOIN") { command("JOIN \(room)", .join(room)) }
    }

    private func part(_ parameters: [String]) {
        guard let list = parameters.first, !list.isEmpty else { return answer { $0.numeric("461", "PART", ":Not enough parameters") } }
        let reason = parameters.count > 1 ? parameters[1] : nil
        for room in targets(list, command: "PART") { command("PART \(room)", .part(room, reason: reason)) }
    }
}
