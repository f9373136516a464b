// IRCSession+Registration: an IRC connection before it becomes a chat
// session: CAP LS/LIST/REQ/END (302), AUTHENTICATE EXTERNAL (the only SASL
// mechanism; it succeeds only when the TLS client certificate already gives
// the connection a `cert` identity, and an authorization identity, if one is
// sent, must be that name), NICK (checked at once for an anonymous user, so a
// taken nick gets 433 and the client can pick another), USER, PING, QUIT.
// Anything else is 451 ERR_NOTREGISTERED. When NICK and USER are in and CAP
// negotiation has ended, the session is connected to the core: a `cert` user
// gets its certificate name whatever NICK said; an anonymous user the name of
// its nick (IRCNicks). Then the welcome (001-005, 422 or MOTD) and, when the
// core put the session in a starting room, that room's JOIN and NAMES.
import ChatCore

extension IRCSession {
    func register(_ message: IRCMessage) {
        let parameters = message.parameters
        switch message.command {
        case "CAP": capability(parameters)
        case "AUTHENTICATE": authenticate(parameters)
        case "NICK": chooseNick(parameters)
        case "USER":
            guard parameters.count >= 4, !parameters[0].isEmpty else { return numeric("461", "USER", ":Not enough parameters") }
            registration.user = parameters[0]
            registration.realName = parameters[3]
        case "PASS": break  // no passwords: identity comes from the certificate
        case "PING": emit(IRCMessage(prefix: info.serverName, command: "PONG", parameters: [info.serverName, parameters.first ?? ""]))
        case "PONG": break
        case "QUIT": return closeUnregistered("quit")
        default: return numeric("451", ":You have not registered")
        }
        if registration.isComplete { completeRegistration() }
    }

    // MARK: CAP

    func capability(_ parameters: [String]) {
        let subcommand = parameters.first?.uppercased() ?? ""
        switch subcommand {
        case "LS":
            if session == nil { registration.negotiating = true }
            let version = parameters.count > 1 ? Int(parameters[1]) ?? 0 : 0
            let offered = IRCServerInfo.capabilities.map { $0 == "sasl" && version >= 302 ? "sasl=EXTERNAL" : $0 }
            emit(IRCMessage(prefix: info.serverName, command: "CAP", parameters: [nick, "LS", offered.joined(separator: " ")]).withTrailing(true))
        case "LIST":
            emit(IRCMessage(prefix: info.serverName, command: "CAP", parameters: [nick, "LIST", capabilities.sorted().joined(separator: " ")]).withTrailing(true))
        case "REQ":
            if session == nil { registration.negotiating = true }
            let requested = parameters.count > 1 ? parameters[1] : ""
            let words = requested.split(separator: " ").map(String.init)
            let known = Set(IRCServerInfo.capabilities)
            let acceptable = !words.isEmpty && words.allSatisfy { known.contains($0.hasPrefix("-") ? String($0.dropFirst()) : $0) }
            if acceptable {
                for word in words {
                    if word.hasPrefix("-") { capabilities.remove(String(word.dropFirst())) } else { capabilities.insert(word) }
                }
            }
            emit(IRCMessage(prefix: info.serverName, command: "CAP", parameters: [nick, acceptable ? "ACK" : "NAK", requested]).withTrailing(true))
        case "END":
            registration.negotiating = false
        default:
            numeric("410", subcommand.isEmpty ? "*" : subcommand, ":Invalid CAP command")
        }
    }

    // MARK: SASL EXTERNAL

    func authenticate(_ parameters: [String]) {
        guard let argument = parameters.first, !argument.isEmpty else { return numeric("461", "AUTHENTICATE", ":Not enough parameters") }
        if argument == "*" {
            registration.awaitingSASLResponse = false
            registration.saslResponse = ""
            return numeric("906", ":SASL authentication aborted")
        }
        if loggedIn { return numeric("907", ":You have already authenticated using SASL") }
        guard registration.awaitingSASLResponse else {
            guard argument.uppercased() == "EXTERNAL" else {
                numeric("908", "EXTERNAL", ":are available SASL mechanisms")
                return numeric("904", ":SASL authentication failed: only EXTERNAL (your TLS client certificate) is offered")
            }
            registration.awaitingSASLResponse = true
            emit(IRCMessage(command: "AUTHENTICATE", parameters: ["+"]))
            return
        }
        if argument != "+" { registration.saslResponse += argument }
        if argument.utf8.count == 400 {  // more chunks follow (SASL 3.1)
            guard registration.saslResponse.utf8.count <= 1200 else {
                registration.awaitingSASLResponse = false
                registration.saslResponse = ""
                return numeric("905", ":SASL message too long")
            }
            return
        }
        let response = registration.saslResponse
        registration.awaitingSASLResponse = false
        registration.saslResponse = ""
        finishExternal(authorizationIdentity: response.isEmpty ? "" : Base64.decodeToString(response))
    }

    private func finishExternal(authorizationIdentity: String?) {
        guard let certificateName else {
            let why = credentials.certificateFingerprint == nil
                ? "no client certificate was presented on this TLS connection"
                : "the client certificate's name is not usable as a chat name"
            return numeric("904", ":SASL authentication failed: \(why)")
        }
        guard let authorizationIdentity else { return numeric("904", ":SASL authentication failed: the response is not base64") }
        guard authorizationIdentity.isEmpty || NameRules.key(authorizationIdentity) == NameRules.key(certificateName) else {
            return numeric("904", ":SASL authentication failed: the certificate names \(certificateName), not \(authorizationIdentity)")
        }
        loggedIn = true
        let nickNow = IRCNicks.nick(forName: certificateName)
        numeric("900", "\(nickNow)!cert@\(info.userHost)", certificateName, ":You are now logged in as \(certificateName)")
        numeric("903", ":SASL authentication successful")
    }

    // MARK: NICK and completion

    func chooseNick(_ parameters: [String]) {
        guard let wanted = parameters.first, !wanted.isEmpty else { return numeric("431", ":No nickname given") }
        if certificateName != nil {
            registration.nick = wanted  // replaced by the certificate name at registration
            return
        }
        if core.isClustered {  // claimed cluster-wide only once the session exists
            registration.nick = wanted
            registration.nickAfterRegistration = IRCNicks.name(forNick: wanted)
            return
        }
        switch core.availableAnonymousName(IRCNicks.name(forNick: wanted)) {
        case .success(let name):
            registration.nick = IRCNicks.nick(forName: name)
            registration.anonymousName = name
        case .failure(let error) where error.code == .nameInUse:
            numeric("433", wanted, ":Nickname is already in use")
        case .failure(let error):
            numeric("432", wanted, ":Erroneous nickname: \(error.text)")
        }
    }

    func completeRegistration() {
        guard let transport else { return }
        let requestedNick = registration.nick
        let connected = core.connect(link: self, credentials: credentials, now: clock() / 1000,
                                     anonymousName: registration.anonymousName)
        guard self.transport != nil, !name.isEmpty else { return }  // closed while connecting
        session = connected
        transport.registered(connected)
        if let later = registration.nickAfterRegistration, certificateName == nil {
            command("NICK \(later)", .nick)  // its reply renames, or says why not (432/433)
        } else if let requestedNick, requestedNick != nick, certificateName == nil {
            notice("\(requestedNick) was not available any more; you are \(nick)")
        }
        if let room = connected.currentRoom { announceOwnJoin(room) }
    }

    /// The welcome burst, sent when the core's greeting arrives.
    func welcome() {
        numeric("001", ":Welcome to the \(info.network) IRC gateway, \(ownPrefix)")
        numeric("002", ":Your host is \(info.serverName), running version \(info.version)")
        numeric("003", ":This server speaks chat/1 and IRC; rooms, names and trust are shared")
        numeric("004", info.serverName, info.version, "i", "-")
        for chunk in stride(from: 0, to: info.isupportTokens.count, by: 12) {
            let tokens = Array(info.isupportTokens[chunk..<min(chunk + 12, info.isupportTokens.count)])
            emit(IRCMessage(prefix: info.serverName, command: "005", parameters: [nick] + tokens + ["are supported by this server"]))
        }
        numeric("422", ":MOTD File is missing")
        let how = trust == .cert ? "your name comes from your client certificate" : "you are anonymous (\(trust.rawValue)); nicks starting with ^ are anonymous users"
        notice("You are \(nick) with trust \(trust.rawValue): \(how)")
    }
}
