// EventFormatter: renders server events and replies as lines for people,
// e.g. "[12:01:02] #lobby <alice✔> hi".
//
// Every line starts with the local time the caller passes in; every name gets
// its trust marker (`TrustMarker`); private messages are marked "(private)";
// "/me" texts are shown as actions; lists (WHO, ROOMS) are rendered on one
// line; SAY/MSG replies echo what we said and mention "sent N/M" only when
// someone missed it. Everything from the network goes through `Sanitizer`.
// `isAlert` says which events deserve the bell and highlighting (a private
// message, a room message that mentions our name, or a notice that needs
// action, such as a certificate about to expire). Stored live messages
// (MSGID, PRIVID) look exactly like MSG and PRIV; past ones (HIST) carry a
// marker ("·history·", or "·missed·" after a reconnection) and the time they
// were stored, and never count as alerts. This file does not
// decide where or when to print, and knows no terminal escapes (see
// `TerminalRenderer`). Pure.

public enum EventFormatter {
    /// Lines for one event.
    public static func format(_ event: ServerEvent, time: String) -> [String] {
        let text: String
        switch event {
        case .ping:
            return []  // a keep-alive the session answers by itself: nothing to show
        case .hello(_, let server, let transport, let name, let trust, let room):
            var line = "connected to \(server) over \(transport) as \(TrustMarker.decorate(name, trust: trust)), room \(room)"
            if transport == "plain" { line += " (PLAINTEXT: not encrypted)" }
            text = line + "; /help lists commands"
        case .message(let room, let from, let trust, let said), .storedMessage(_, let room, let from, let trust, let said):
            text = "\(room) " + utterance(said, by: TrustMarker.decorate(from, trust: trust))
        case .privateMessage(let from, let trust, let said), .storedPrivateMessage(_, let from, let trust, let said):
            text = "(private) " + utterance(said, by: TrustMarker.decorate(from, trust: trust))
        case .history(_, let stored, let target, let from, let trust, let said):
            return [formatPast(target: target, from: from, trust: trust, text: said, ownName: nil, shownTime: stored, marker: historyMarker)]
        case .joined(let room, let name, let trust):
            text = "\(room) --> \(TrustMarker.decorate(name, trust: trust)) joined"
        case .parted(let room, let name, let trust, let reason):
            let how = reason == "part" ? "left" : reason == "quit" ? "disconnected" : "left (\(reason))"
            text = "\(room) <-- \(TrustMarker.decorate(name, trust: trust)) \(how)"
        case .renamed(let old, let new, let trust):
            text = "\(TrustMarker.decorate(old, trust: trust)) is now \(TrustMarker.decorate(new, trust: trust))"
        case .notice(let topic, let notice) where importantNoticeTopics.contains(topic):
            text = "WARNING [\(topic)]: \(notice)"
        case .notice(let topic, let notice):
            text = "notice [\(topic)]: \(notice)"
        case .other(let line):
            text = "? \(line)"
        }
        return [stamp(time, text)]
    }

    /// NOTICE topics that need the user's action (e.g. `expiry`: the client certificate expires
    /// soon): shown as "WARNING", highlighted, with the bell.
    public static let importantNoticeTopics: Set<String> = ["expiry"]

    /// The marker of a past message shown on request or on joining a room.
    public static let historyMarker = "·history·"
    /// The marker of a past message fetched after a reconnection (missed while disconnected).
    public static let missedMarker = "·missed·"

    /// One past message (a `HIST` line), e.g. "[14:05] ·history· #dev <bob✔> hi": `shownTime` is
    /// when it was stored, `target` the room or the other user of a private conversation.
    /// `ownName` tells our own private messages ("(private to bob)") from the other's.
    public static func formatPast(target: String, from: String, trust: String, text: String,
                                  ownName: String?, shownTime: String, marker: String) -> String {
        let place: String
        if target.hasPrefix("#") {
            place = target
        } else {
            let mine = ownName.map { $0.lowercased() == from.lowercased() } ?? false
            place = mine && from.lowercased() != target.lowercased() ? "(private to \(target))" : "(private)"
        }
        return stamp(shownTime, "\(marker) \(place) " + utterance(text, by: TrustMarker.decorate(from, trust: trust)))
    }

    /// Lines for one reply to `command`. `identity` must already include the
    /// reply's effect (e.g. the new current room after PART). May be empty.
    public static func format(_ reply: Reply, to command: SentCommand, identity: SessionIdentity, time: String) -> [String] {
        switch reply {
        case .error(let code, let text):
            return [stamp(time, "error: \(code) \(text) [\(abbreviated(command.line))]")]
        case .ok(let verb, let details):
            return formatSuccess(verb: verb, details: details, command: command, identity: identity).map { stamp(time, $0) }
        }
    }

    /// A reply that arrived with no command waiting.
    public static func formatUnexpected(_ reply: Reply, time: String) -> [String] {
        switch reply {
        case .ok(let verb, let details): return [stamp(time, "unexpected reply from the server: OK \(verb) \(details)")]
        case .error(let code, let text): return [stamp(time, "unexpected reply from the server: ERR \(code) \(text)")]
        }
    }

    private static func formatSuccess(verb: String, details: String, command: SentCommand, identity: SessionIdentity) -> [String] {
        let words = ServerLine.words(details)
        let me = TrustMarker.decorate(identity.name ?? "you", trust: identity.trust ?? "")
        switch verb {
        case "SAY":
            let room = words.first ?? "?"
            return ["\(room) " + utterance(command.arguments, by: me)] + missed(words.dropFirst(), in: room)
        case "MSG":
            let target = words.first ?? "?"
            let said = ServerLine.rest(of: command.arguments)
            let place = target.hasPrefix("#") ? target : "(private to \(target))"
            return ["\(place) " + utterance(said, by: me)] + missed(words.dropFirst(), in: target)
        case "JOIN":
            let members = words.count > 1 ? " (\(words[1]) \(words[1] == "1" ? "member" : "members"))" : ""
            return ["now in \(words.first ?? "?")\(members)"]
        case "PART":
            return ["left \(words.first ?? "?"); " + (identity.currentRoom.map { "current room: \($0)" } ?? "you are in no room now")]
        case "NICK":
            return ["you are now \(TrustMarker.decorate(words.first ?? "?", trust: identity.trust ?? ""))"]
        case "WHO":
            guard words.count >= 2 else { return ["who: \(details)"] }
            let people = words.dropFirst(2).map { item -> String in
                if item.hasPrefix("+") { return "(\(item.dropFirst()) more)" }
                guard let colon = item.lastIndex(of: ":") else { return item }
                return TrustMarker.decorate(String(item[..<colon]), trust: String(item[item.index(after: colon)...]))
            }
            return (["\(words[0]) (\(words[1])): " + people.joined(separator: " ")])
        case "ROOMS":
            let rooms = words.dropFirst().map { item -> String in
                if item.hasPrefix("+") { return "(\(item.dropFirst()) more)" }
                guard let colon = item.lastIndex(of: ":") else { return item }
                return "\(item[..<colon]) (\(item[item.index(after: colon)...]))"
            }
            return ["rooms (\(words.first ?? "0")): " + rooms.joined(separator: ", ")]
        case "WHOAMI":
            guard words.count >= 5 else { return ["whoami: \(details)"] }
            let certificate = words[3] == "-" ? "no certificate" : "certificate \(words[3])"
            return ["you are \(TrustMarker.decorate(words[0], trust: words[1])) (trust \(words[1]), over \(words[2]), \(certificate)), current room \(words[4])"]
        case "PING":
            return [details.isEmpty ? "pong" : "pong \(details)"]
        case "HELP":
            return ["server commands: \(details)"]
        case "HISTORY":
            guard words.count > 2, words[2] == "more" else { return ["(no more history)"] }
            let after = ServerLine.words(command.arguments).contains { $0.uppercased() == "AFTER" }
            return [after ? "(more history after these: ask again AFTER the last id)" : "(more history: /history again shows older messages)"]
        case "BYE":
            return ["bye"]
        default:
            return ["ok \(verb) \(details)"]
        }
    }

    /// True for an event addressed to us: a private message from someone else, or a room
    /// message from someone else that mentions `ownName` (see `mentions`).
    public static func isAlert(_ event: ServerEvent, ownName: String?) -> Bool {
        if case .notice(let topic, _) = event, importantNoticeTopics.contains(topic) { return true }
        guard let ownName else { return false }
        switch event {
        case .privateMessage(let from, _, _), .storedPrivateMessage(_, let from, _, _):
            return from.lowercased() != ownName.lowercased()
        case .message(_, let from, _, let text), .storedMessage(_, _, let from, _, let text):
            return from.lowercased() != ownName.lowercased() && mentions(text, name: ownName)
        default: return false
        }
    }

    /// True when `text` contains `name` (an anonymous name with or without its "~") as a word,
    /// ignoring ASCII case: "alice", "@alice:", "hi Alice." and "~alice" mention alice;
    /// "malice" and "alice.b" do not. A name character ("." or "-") right after the name
    /// counts as punctuation only when no further name character follows.
    public static func mentions(_ text: String, name: String) -> Bool {
        let wanted = Array((name.hasPrefix("~") ? String(name.dropFirst()) : name).lowercased().unicodeScalars)
        guard !wanted.isEmpty else { return false }
        let scalars = Array(text.lowercased().unicodeScalars)
        func isWordScalar(_ index: Int) -> Bool {
            guard index >= 0 && index < scalars.count else { return false }
            let scalar = scalars[index]
            return scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_"
        }
        func isNameScalar(_ index: Int) -> Bool {
            isWordScalar(index) || (index >= 0 && index < scalars.count && (scalars[index] == "." || scalars[index] == "-"))
        }
        var start = 0
        while start + wanted.count <= scalars.count {
            defer { start += 1 }
            guard scalars[start..<start + wanted.count].elementsEqual(wanted) else { continue }
            let end = start + wanted.count
            guard !isNameScalar(start - 1) else { continue }
            if isWordScalar(end) || (isNameScalar(end) && isNameScalar(end + 1)) { continue }
            return true
        }
        return false
    }

    /// "<alice✔> hi", or "* alice✔ waves" for a "/me waves" text.
    static func utterance(_ text: String, by speaker: String) -> String {
        if text.hasPrefix(InputTranslator.actionPrefix) {
            return "* \(speaker) " + text.dropFirst(InputTranslator.actionPrefix.count)
        }
        return "<\(speaker)> \(text)"
    }

    /// A note when "sent N/M" shows that N < M recipients got the message.
    private static func missed(_ words: ArraySlice<String>, in place: String) -> [String] {
        guard words.count >= 2, words[words.startIndex] == "sent" else { return [] }
        let counts = words[words.startIndex + 1].split(separator: "/")
        guard counts.count == 2, let got = Int(counts[0]), let all = Int(counts[1]), got < all else { return [] }
        return ["(only \(got) of \(all) recipients in \(place) got it: the others are not reading)"]
    }

    private static func abbreviated(_ line: String) -> String {
        line.count > 40 ? String(line.prefix(40)) + "..." : line
    }

    private static func stamp(_ time: String, _ text: String) -> String {
        Sanitizer.forTerminal("[\(time)] \(text)")
    }
}
