// InputTranslator: turns one line the user typed (or one script line) into
// what to do: a chat/1 protocol line to send, local help, or a local error.
//
// Text without a leading slash is said to the current room (`SAY text`);
// slash commands map to protocol commands (see `helpText`); `//text` says
// "/text"; `/me text` says "/me text", which tlschat shows as an action.
// Nothing is sent for an unknown command, a bad usage, a control character
// or a line longer than the server accepts. This file does not send, track or
// print anything. Pure.

/// What one typed line asks for.
public enum InputAction: Equatable, Sendable {
    /// Send this protocol line (no terminator). "BYE" means quit.
    case send(String)
    /// Show the local help (`InputTranslator.helpText`).
    case showHelp
    /// An empty or blank line: do nothing.
    case nothing
    /// A local error: show it, send nothing.
    case invalid(String)
}

public enum InputTranslator {
    /// The longest line the server accepts by default (PROTOCOL.md section 1), in UTF-8 bytes.
    public static let maximumLineBytes = 4096

    /// The prefix of a SAY text that tlschat shows as an action ("* alice waves").
    public static let actionPrefix = "/me "

    /// The slash commands, as Tab completes them (the aliases /bye, /exit, /?, /quote are left out).
    public static let commandNames = ["/join", "/part", "/msg", "/me", "/who", "/rooms", "/certonly", "/nick", "/whoami", "/ping", "/history", "/raw", "/quit", "/help"]

    /// Maps one typed line (without its terminator) to an action.
    public static func translate(_ typed: String) -> InputAction {
        translate(typed, maximumLineBytes: maximumLineBytes)
    }

    /// Maps one typed line to an action; a protocol line longer than `limit` bytes is refused.
    /// (The interactive session passes `Int.max` and splits long messages itself.)
    public static func translate(_ typed: String, maximumLineBytes limit: Int) -> InputAction {
        if let bad = typed.unicodeScalars.first(where: Sanitizer.isForbiddenInProtocol) {
            return .invalid("the line contains control character U+\(String(bad.value, radix: 16, uppercase: true)); nothing sent")
        }
        guard typed.contains(where: { $0 != " " && $0 != "\t" }) else { return .nothing }  // the server ignores it too
        let action = map(typed)
        if case .send(let line) = action, line.utf8.count > limit {
            return .invalid("the line is too long (\(line.utf8.count) bytes; the server accepts \(limit)); nothing sent")
        }
        return action
    }

    private static func map(_ typed: String) -> InputAction {
        guard typed.hasPrefix("/") else { return .send("SAY " + typed) }
        if typed.hasPrefix("//") { return .send("SAY " + typed.dropFirst()) }
        let name = ServerLine.firstWord(of: String(typed.dropFirst())).lowercased()
        let rest = ServerLine.rest(of: typed)
        let words = ServerLine.words(rest)
        let hasText = rest.contains(where: { $0 != " " })

        func usage(_ text: String) -> InputAction { .invalid("usage: \(text)") }
        switch name {
        case "join": return words.count == 1 ? .send("JOIN " + words[0]) : usage("/join #room")
        case "part": return words.count <= 1 ? .send((["PART"] + words).joined(separator: " ")) : usage("/part [#room]")
        case "msg":
            guard words.count >= 2 else { return usage("/msg NAME|#room text") }
            return .send("MSG \(words[0]) " + ServerLine.rest(of: rest.drop(while: { $0 == " " }).description))
        case "who": return words.count <= 1 ? .send((["WHO"] + words).joined(separator: " ")) : usage("/who [#room]")
        case "rooms": return words.isEmpty ? .send("ROOMS") : usage("/rooms")
        case "certonly": return words.count <= 1 ? .send((["CERTONLY"] + words).joined(separator: " ")) : usage("/certonly [#room]")
        case "nick": return words.count == 1 ? .send("NICK " + words[0]) : usage("/nick NAME")
        case "me": return hasText ? .send("SAY " + actionPrefix + rest) : usage("/me text")
        case "whoami": return words.isEmpty ? .send("WHOAMI") : usage("/whoami")
        case "ping": return words.count <= 1 ? .send((["PING"] + words).joined(separator: " ")) : usage("/ping [token]")
        case "quit", "bye", "exit": return .send("BYE")
        case "help", "?": return .showHelp
        case "history":
            guard let request = historyRequest(typed) else { return usage(historyUsage) }
            guard let target = request.target else {  // the interactive session fills in its current room
                return .invalid("in a script, /history needs a room or name: /history #room [N]")
            }
            return .send("HISTORY \(target) LIMIT \(request.limit)")
        case "raw", "quote": return hasText ? .send(rest) : usage("/raw PROTOCOL LINE")
        default:
            let shown = name.count > 20 ? String(name.prefix(20)) + "..." : name
            return .invalid("unknown command /\(shown); type /help for the list (nothing sent)")
        }
    }

    /// `/history [NAME|#room] [N]`.
    public static let historyUsage = "/history [NAME|#room] [N] (N from 1 to 500)"

    /// True when `typed` is a /history command (valid or not).
    public static func isHistoryCommand(_ typed: String) -> Bool {
        typed.hasPrefix("/") && ServerLine.firstWord(of: String(typed.dropFirst())).lowercased() == "history"
    }

    /// The parts of `/history [NAME|#room] [N]`: nil target means the current room; N defaults to
    /// `ClientHistory.defaultLimit`. Nil when `typed` is not a well-formed /history.
    public static func historyRequest(_ typed: String) -> (target: String?, limit: Int)? {
        guard isHistoryCommand(typed) else { return nil }
        var words = ServerLine.words(ServerLine.rest(of: typed))
        var limit = ClientHistory.defaultLimit
        if let last = words.last, last.allSatisfy(\.isASCII), last.allSatisfy(\.isNumber) {
            guard let number = Int(last), (1...500).contains(number) else { return nil }
            limit = number
            words.removeLast()
        }
        guard words.count <= 1 else { return nil }
        return (words.first, limit)
    }

    /// The local help shown by /help.
    public static let helpText = """
        Type text and press Enter to say it in the current room.
          /join #room         join a room and make it current
          /part [#room]       leave a room (default: the current one)
          /msg NAME text      private message to NAME (or /msg #room text)
          /me text            an action: sends "SAY /me text", shown as "* you text"
          /who [#room]        who is in a room
          /rooms              list rooms
          /certonly [#room]   admit certificate users only (all members must be)
          /nick NAME          change your name (anonymous users get "~NAME")
          /whoami             your name, trust, transport and certificate
          /ping [token]       check the server answers
          /history [NAME] [N] older messages of the current room (20, or N), or of your
                              private conversation with NAME (also /history #room [N])
          /raw LINE           send a raw chat/1 protocol line
          /quit               leave (also Ctrl-D or Ctrl-C on an empty line)
          /help               this help
          //text              say text that starts with a slash
        Names carry a trust marker:
          alice\(TrustMarker.certificate)   signed in with a CA-verified certificate
          ~guest1\(TrustMarker.anonymous)  anonymous over TLS (encrypted, name not verified)
          ~guest2\(TrustMarker.plaintext)  anonymous over plaintext (not encrypted, not verified)
        Private messages are marked "(private)"; they and messages that mention your name
        ring the bell and are highlighted. Past messages are shown faded with the time they
        were sent: "·history·" (on joining a room, or /history), "·missed·" (sent while
        the connection was lost, fetched after reconnecting with --reconnect).
        Lines are sent no faster than the server allows: the prompt shows how many wait
        ("(5 queued)"). Pasting more than 10 lines at once asks first (y sends them, n
        discards them). A message longer than the server's line limit is sent as several
        messages; another command that long is refused and left in the input line.
        Keys: Left/Right, Home/End (Ctrl-A/E), Ctrl-Left/Right (word), Backspace, Delete,
        Ctrl-U (clear), Ctrl-W (delete word), Ctrl-K (delete to end), Up/Down (history),
        Tab (complete a name in the room or a /command; Tab again for the next one),
        Ctrl-L (redraw), Ctrl-C (clear the line, which stays in the history; on an empty
        line it discards queued lines, then quits), Ctrl-D (quit on an empty line).
        """
}
