// Command: one parsed chat/1 client line, and the parser that makes it.
//
// The parser checks the line's text (UTF-8, no control characters other than
// tab), splits the verb (case-insensitive) from its arguments and checks their
// count and shape. It does not look at server state (whether a room or user
// exists); `ChatServerCore` does. Pure.

public enum Command: Equatable, Sendable {
    case nick(String)
    case join(String)
    case part(String?)
    case say(String)
    case message(target: String, text: String)
    case rooms
    case who(String?)
    case whoAmI
    case ping(String?)
    case help
    case bye

    /// The canonical verb used in `OK VERB ...` replies.
    public var verb: String {
        switch self {
        case .nick: "NICK"
        case .join: "JOIN"
        case .part: "PART"
        case .say: "SAY"
        case .message: "MSG"
        case .rooms: "ROOMS"
        case .who: "WHO"
        case .whoAmI: "WHOAMI"
        case .ping: "PING"
        case .help: "HELP"
        case .bye: "BYE"
        }
    }

    public static let allVerbs = ["NICK", "JOIN", "PART", "SAY", "MSG", "ROOMS", "WHO", "WHOAMI", "PING", "HELP", "BYE"]
}

public enum CommandParser {
    /// True for a line of only spaces and tabs (or nothing): ignored, no reply, not a command.
    public static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    /// The outcome for one line: nil for a blank line (ignored, no reply).
    public static func parse(_ bytes: [UInt8]) -> Result<Command, CommandError>? {
        guard !isBlank(bytes) else { return nil }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(CommandError(.badUTF8, "line is not valid UTF-8"))
        }
        if let bad = text.unicodeScalars.first(where: isForbidden) {
            let code = "U+" + String(bad.value, radix: 16, uppercase: true)
            return .failure(CommandError(.badText, "line contains control character \(code)"))
        }
        return parse(text)
    }

    /// Control characters other than tab (C0, DEL, C1), the Unicode line and
    /// paragraph separators (which some clients split lines on), and the bidi
    /// embedding/override/isolate controls (which can disguise text on screen).
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: return false
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// ASCII-only upper-casing for verbs ("ſay" must not become "SAY").
    static func asciiUppercased<S: StringProtocol>(_ text: S) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            ("a"..."z").contains(scalar) ? Unicode.Scalar(scalar.value - 32)! : scalar
        }))
    }

    static func parse(_ text: String) -> Result<Command, CommandError> {
        let trimmed = text.drop(while: { $0 == " " })
        let verbEnd = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
        let verb = asciiUppercased(trimmed[..<verbEnd])
        let rest = verbEnd == trimmed.endIndex ? "" : String(trimmed[trimmed.index(after: verbEnd)...])
        let words = rest.split(separator: " ").map(String.init)

        func usage(_ text: String) -> Result<Command, CommandError> {
            .failure(CommandError(.badArguments, "usage: \(text)"))
        }
        switch verb {
        case "NICK": return words.count == 1 ? .success(.nick(words[0])) : usage("NICK NAME")
        case "JOIN": return words.count == 1 ? .success(.join(words[0])) : usage("JOIN #ROOM")
        case "PART": return words.count <= 1 ? .success(.part(words.first)) : usage("PART [#ROOM]")
        case "SAY":
            return rest.contains(where: { $0 != " " }) ? .success(.say(rest)) : usage("SAY TEXT")
        case "MSG":
            let target = rest.drop(while: { $0 == " " })
            guard let space = target.firstIndex(of: " "), space != target.startIndex else { return usage("MSG TARGET TEXT") }
            let body = String(target[target.index(after: space)...])
            guard body.contains(where: { $0 != " " }) else { return usage("MSG TARGET TEXT") }
            return .success(.message(target: String(target[..<space]), text: body))
        case "ROOMS": return words.isEmpty ? .success(.rooms) : usage("ROOMS")
        case "WHO": return words.count <= 1 ? .success(.who(words.first)) : usage("WHO [#ROOM]")
        case "WHOAMI": return words.isEmpty ? .success(.whoAmI) : usage("WHOAMI")
        case "PING": return words.count <= 1 ? .success(.ping(words.first)) : usage("PING [TOKEN]")
        case "HELP": return .success(.help)
        case "BYE": return words.isEmpty ? .success(.bye) : usage("BYE")
        default:
            let shown = verb.count > 32 ? String(verb.prefix(32)) + "..." : verb
            return .failure(CommandError(.unknownCommand, "unknown command '\(shown)'; try HELP"))
        }
    }
}
