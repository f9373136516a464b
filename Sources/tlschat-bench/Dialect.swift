// Dialect: the few protocol steps the benchmark needs from each kind of chat
// server: how a connection registers and joins the room, when it is ready,
// how a message to the room is written, and which server lines need an
// answer (keep-alive PINGs). Messages are recognised by the `Probe` marker
// inside them, whatever prefix the server adds, so nothing here parses
// deliveries. It does no I/O.

enum Dialect: String, CaseIterable, Sendable {
    /// tlschatd: greeting `HELLO ...`, then `JOIN ROOM` -> `OK JOIN` (now the current room); `SAY TEXT`.
    case chat1
    /// IRC (ngIRCd, InspIRCd): NICK/USER -> 001, JOIN -> 366 (end of names); PRIVMSG. No echo.
    case irc
    /// ncat --chat: no registration; every line goes to all the others with a `<userN> ` prefix.
    /// A client is ready once ncat has announced a connection to it (`<announce> ...`): only
    /// then does ncat forward lines to it.
    case lines

    /// What the connection does after a server line during registration.
    enum Step: Equatable {
        case send(String)
        case ready
        case nothing
    }

    /// Lines to send as soon as the connection is open.
    func opening(client index: Int) -> [String] {
        switch self {
        case .chat1, .lines: return []
        case .irc: return ["NICK b\(index)", "USER b\(index) 0 * :tlschat-bench"]
        }
    }


    /// The next registration step after `line` arrived; `room` nil: ready once registered.
    func step(after line: String, room: String?) -> Step {
        let words = line.split(separator: " ", maxSplits: 3)
        switch self {
        case .chat1:
            if words.first == "HELLO" { return room.map { .send("JOIN \($0)") } ?? .ready }
            if words.count >= 2, words[0] == "OK", words[1] == "JOIN" { return .ready }
            if words.first == "ERR" { return .send("") }  // surfaces as a registration failure in the scenario
        case .irc:
            if words.count >= 2, words[1] == "001" { return room.map { .send("JOIN \($0)") } ?? .ready }
            if words.count >= 2, words[1] == "366" { return .ready }
        case .lines:
            if words.first == "<announce>" { return .ready }
        }
        return .nothing
    }

    /// The bytes before a message's text: one message to the room is this prefix, the
    /// text and a newline (`ProbeLine` builds it).
    func messagePrefix(room: String) -> [UInt8] {
        switch self {
        case .chat1: return Array("SAY ".utf8)
        case .irc: return Array("PRIVMSG \(room) :".utf8)
        case .lines: return []
        }
    }

    /// True for chat/1's `ERR RATE_LIMITED ...` reply (a command refused for the rate, not run).
    /// Cheap on other lines: most differ in the first byte.
    func isRateLimitedReply(_ line: UnsafeRawBufferPointer) -> Bool {
        guard self == .chat1, line.count >= 16, line[0] == UInt8(ascii: "E") else { return false }
        return line.starts(with: "ERR RATE_LIMITED".utf8) && (line.count == 16 || line[16] == UInt8(ascii: " "))
    }

    /// The answer to a server keep-alive line, if `line` is one.
    func keepAliveAnswer(to line: UnsafeRawBufferPointer) -> String? {
        guard line.count > 5, line[0] == UInt8(ascii: "P"), line[1] == UInt8(ascii: "I"), line[2] == UInt8(ascii: "N"),
              line[3] == UInt8(ascii: "G"), line[4] == UInt8(ascii: " ") else { return nil }
        let token = String(decoding: line[5...], as: UTF8.self)
        switch self {
        case .chat1: return "PING \(token)"
        case .irc: return "PONG \(token)"
        case .lines: return nil
        }
    }
}
