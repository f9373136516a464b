// ServerLine: one line from a chat/1 server, parsed into a reply or an event.
//
// A line whose first word is `OK` or `ERR` is a reply (PROTOCOL.md section 2);
// anything else is an event (section 5). Known events are split into their
// fields; an event this client does not know is kept whole as `.other`, so a
// newer server never breaks an older client. This file does not decide which
// command a reply answers (`ReplyTracker` does) and does not format anything
// for people (`EventFormatter` does). Pure.

/// A reply to the oldest unanswered command.
public enum Reply: Equatable, Sendable {
    /// `OK VERB [DETAILS]`: `details` is everything after the verb (may be empty).
    case ok(verb: String, details: String)
    /// `ERR CODE text`.
    case error(code: String, text: String)
}

/// A line the server pushed on its own.
public enum ServerEvent: Equatable, Sendable {
    /// `HELLO chat/1 SERVER TRANSPORT NAME TRUST ROOM`
    case hello(protocolVersion: String, server: String, transport: String, name: String, trust: String, room: String)
    /// `MSG ROOM FROM TRUST TEXT`
    case message(room: String, from: String, trust: String, text: String)
    /// `PRIV FROM TRUST TEXT`
    case privateMessage(from: String, trust: String, text: String)
    /// `MSGID ID ROOM FROM TRUST TEXT`: a live room message stored with `id` (after `CAP REQ history`).
    case storedMessage(id: Int, room: String, from: String, trust: String, text: String)
    /// `PRIVID ID FROM TRUST TEXT`: a live private message stored with `id` (after `CAP REQ history`).
    case storedPrivateMessage(id: Int, from: String, trust: String, text: String)
    /// `HIST ID TIME TARGET FROM TRUST TEXT`: a past message (never a live one); TIME is the
    /// server's UTC time of storing, TARGET the room or the other user of a private conversation.
    case history(id: Int, time: String, target: String, from: String, trust: String, text: String)
    /// `JOINED ROOM NAME TRUST`
    case joined(room: String, name: String, trust: String)
    /// `PARTED ROOM NAME TRUST REASON`
    case parted(room: String, name: String, trust: String, reason: String)
    /// `RENAMED OLD NEW TRUST`
    case renamed(old: String, new: String, trust: String)
    /// `NOTICE TOPIC TEXT`
    case notice(topic: String, text: String)
    /// `PING TOKEN`: the server wants a sign of life (answer with any command, e.g. `PING TOKEN`).
    case ping(token: String)
    /// Any other line (unknown verb or a known verb with too few fields), kept verbatim.
    case other(String)
}

/// A parsed server line.
public enum ServerLine: Equatable, Sendable {
    case reply(Reply)
    case event(ServerEvent)

    /// Parses one line (without its terminator). Never fails: unknown shapes become `.event(.other)`.
    public init(parsing line: String) {
        let verb = Self.firstWord(of: line)
        switch verb {
        case "OK":
            let (replyVerb, details) = Self.split(Self.rest(of: line))
            self = .reply(.ok(verb: replyVerb, details: details))
        case "ERR":
            let (code, text) = Self.split(Self.rest(of: line))
            self = .reply(.error(code: code, text: text))
        default:
            self = .event(Self.parseEvent(verb: verb, line: line))
        }
    }

    /// True when `line` is a reply (`OK`/`ERR`) rather than an event: the first word decides.
    public static func isReply(_ line: String) -> Bool {
        let verb = firstWord(of: line)
        return verb == "OK" || verb == "ERR"
    }

    private static func parseEvent(verb: String, line: String) -> ServerEvent {
        let rest = rest(of: line)
        switch verb {
        case "HELLO":  // a newer server may append fields: keep the six we know
            guard let f = fields(rest, count: 6, textLast: true) else { break }
            let room = firstWord(of: f[5])
            guard !room.isEmpty else { break }
            return .hello(protocolVersion: f[0], server: f[1], transport: f[2], name: f[3], trust: f[4], room: room)
        case "MSG":
            guard let f = fields(rest, count: 4, textLast: true) else { break }
            return .message(room: f[0], from: f[1], trust: f[2], text: f[3])
        case "PRIV":
            guard let f = fields(rest, count: 3, textLast: true) else { break }
            return .privateMessage(from: f[0], trust: f[1], text: f[2])
        case "MSGID":
            guard let f = fields(rest, count: 5, textLast: true), let id = messageID(f[0]) else { break }
            return .storedMessage(id: id, room: f[1], from: f[2], trust: f[3], text: f[4])
        case "PRIVID":
            guard let f = fields(rest, count: 4, textLast: true), let id = messageID(f[0]) else { break }
            return .storedPrivateMessage(id: id, from: f[1], trust: f[2], text: f[3])
        case "HIST":
            guard let f = fields(rest, count: 6, textLast: true), let id = messageID(f[0]) else { break }
            return .history(id: id, time: f[1], target: f[2], from: f[3], trust: f[4], text: f[5])
        case "JOINED":
            guard let f = fields(rest, count: 3, textLast: false) else { break }
            return .joined(room: f[0], name: f[1], trust: f[2])
        case "PARTED":
            guard let f = fields(rest, count: 4, textLast: true) else { break }
            return .parted(room: f[0], name: f[1], trust: f[2], reason: f[3])
        case "RENAMED":
            guard let f = fields(rest, count: 3, textLast: false) else { break }
            return .renamed(old: f[0], new: f[1], trust: f[2])
        case "NOTICE":
            let (topic, text) = split(rest)
            guard !topic.isEmpty else { break }
            return .notice(topic: topic, text: text)
        case "PING":
            let (token, _) = split(rest)
            guard !token.isEmpty else { break }
            return .ping(token: token)
        default:
            break
        }
        return .other(line)
    }

    /// A stored message's id: a positive decimal integer (PROTOCOL.md section 11).
    static func messageID(_ word: String) -> Int? {
        guard word.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let id = Int(word), id > 0 else { return nil }
        return id
    }

    // Lines are split at U+0020 scalar by scalar, as the server splits bytes: a space
    // followed by a combining mark forms one Character with it, but still separates words.

    /// The first word (up to the first space).
    static func firstWord(of line: String) -> String {
        String(String.UnicodeScalarView(line.unicodeScalars.prefix(while: { $0 != " " })))
    }

    /// Everything after the first space, or "" when there is none.
    static func rest(of line: String) -> String {
        let scalars = line.unicodeScalars
        guard let space = scalars.firstIndex(of: " ") else { return "" }
        return String(String.UnicodeScalarView(scalars[scalars.index(after: space)...]))
    }

    /// The space-separated words of `text` (runs of spaces count as one separator).
    static func words(_ text: String) -> [String] {
        text.unicodeScalars.split(separator: " ").map { String(String.UnicodeScalarView($0)) }
    }

    /// Splits "WORD rest of line" at the first space.
    static func split(_ text: String) -> (String, String) {
        (firstWord(of: text), rest(of: text))
    }

    /// `count` space-separated fields; with `textLast` the last one is the rest of the line
    /// (may contain spaces; may be empty only if the line ends right after its separator).
    /// Nil when there are too few fields, or (without `textLast`) too many.
    static func fields(_ text: String, count: Int, textLast: Bool) -> [String]? {
        var result: [String] = []
        var remaining = Substring(text).unicodeScalars
        while result.count < count - 1 {
            guard let space = remaining.firstIndex(of: " ") else { return nil }
            result.append(String(String.UnicodeScalarView(remaining[..<space])))
            remaining = remaining[remaining.index(after: space)...]
        }
        if !textLast && remaining.contains(" ") { return nil }
        result.append(String(String.UnicodeScalarView(remaining)))
        let emptyField = result.dropLast().contains(where: \.isEmpty) || (!textLast && result[count - 1].isEmpty)
        return emptyField ? nil : result
    }
}
