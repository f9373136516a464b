// IRCSession+Queries: IRC questions answered from the core's read-only
// lookups (ChatServerCore+Lookup), never from a chat/1 command: NAMES (353,
// 366), WHO (352, 315), WHOIS (311, 319, 312, 320 trust, 671 secure
// connection, 276 certificate fingerprint, 330 account, 318; 401 for nobody),
// TOPIC (331: rooms have no topics; changing one is 482) and MODE (324 `+`
// for a room, 221 for yourself, list queries end at once, changes refused with
// 482/501/502). Trust shows in the user part of every prefix (`nick!cert@host`)
// and in WHOIS/WHO.
import ChatCore

extension IRCSession {
    func sendNames(_ requested: String) {
        let room = NameRules.key(requested)
        if let members = core.members(ofRoom: room) {
            var line: [String] = []
            var bytes = 0
            let budget = IRCLinePolicy.maximumBodyBytes - ":\(info.serverName) 353 \(nick) = \(room) :".utf8.count
            for member in members {
                let shown = IRCNicks.nick(forName: member.name)
                if bytes + shown.utf8.count + 1 > budget, !line.isEmpty {
                    numeric("353", "=", room, ":" + line.joined(separator: " "))
                    line = []
                    bytes = 0
                }
                line.append(shown)
                bytes += shown.utf8.count + 1
            }
            if !line.isEmpty { numeric("353", "=", room, ":" + line.joined(separator: " ")) }
        }
        numeric("366", room, ":End of /NAMES list")
    }

    func who(_ mask: String) {
        if mask.hasPrefix("#") {
            let room = NameRules.key(mask)
            for member in core.members(ofRoom: room) ?? [] { whoReply(room, member.name, member.trust) }
        } else if let user = core.lookUpUser(IRCNicks.name(forNick: mask)) {
            whoReply(user.rooms.last ?? "*", user.name, user.trust)
        }
        numeric("315", mask, ":End of /WHO list")
    }

    private func whoReply(_ channel: String, _ memberName: String, _ memberTrust: Trust) {
        numeric("352", channel, memberTrust.rawValue, info.userHost, info.serverName, IRCNicks.nick(forName: memberName), "H",
                ":0 \(Self.realName(memberTrust))")
    }

    static func realName(_ trust: Trust) -> String {
        switch trust {
        case .cert: "certificate user"
        case .tls: "anonymous (TLS, no certificate)"
        case .plain: "anonymous (plaintext)"
        }
    }

    func whois(_ target: String) {
        guard let user = core.lookUpUser(IRCNicks.name(forNick: target)) else {
            numeric("401", target, ":No such nick/channel")
            return numeric("318", target, ":End of /WHOIS list")
        }
        let shown = IRCNicks.nick(forName: user.name)
        numeric("311", shown, user.trust.rawValue, info.userHost, "*", ":\(Self.realName(user.trust))")
        if !user.rooms.isEmpty { numeric("319", shown, ":" + user.rooms.joined(separator: " ")) }
        numeric("312", shown, info.serverName, ":\(info.network) (chat/1 and IRC)")
        let meaning = switch user.trust {
        case .cert: "trust cert: the name comes from a verified client certificate"
        case .tls: "trust tls: encrypted but anonymous"
        case .plain: "trust plain: anonymous and NOT encrypted"
        }
        numeric("320", shown, ":\(meaning)")
        if user.transport == .tls { numeric("671", shown, ":is using a secure connection (TLS)") }
        if let fingerprint = user.certificateFingerprint {
            numeric("276", shown, ":has client certificate fingerprint \(fingerprint.hasPrefix("sha256:") ? String(fingerprint.dropFirst(7)) : fingerprint)")
        }
        if user.trust == .cert { numeric("330", shown, user.name, ":is logged in as") }
        numeric("318", shown, ":End of /WHOIS list")
    }

    func topic(_ requested: String, change: Bool) {
        let room = NameRules.key(requested)
        guard core.members(ofRoom: room) != nil else { return numeric("403", requested, ":No such channel") }
        if change { return numeric("482", room, ":Rooms have no topics on this server") }
        numeric("331", room, ":No topic is set")
    }

    func mode(_ target: String, _ changes: [String]) {
        if target.hasPrefix("#") {
            let room = NameRules.key(target)
            guard core.members(ofRoom: room) != nil else { return numeric("403", target, ":No such channel") }
            guard let change = changes.first else { return numeric("324", room, "+") }
            switch change.trimmingPrefix("+") {
            case "b": numeric("368", room, ":End of channel ban list")
            case "e": numeric("349", room, ":End of channel exception list")
            case "I": numeric("347", room, ":End of channel invite list")
            default: numeric("482", room, ":Rooms have no modes on this server")
            }
            return
        }
        guard NameRules.key(IRCNicks.name(forNick: target)) == NameRules.key(name) else {
            return numeric("502", ":Can't change mode for other users")
        }
        guard let change = changes.first else { return numeric("221", "+") }
        let flags = change.filter { $0 != "+" && $0 != "-" }
        if !flags.allSatisfy({ $0 == "i" || $0 == "w" }) { numeric("501", ":Unknown MODE flag") }
    }
}
