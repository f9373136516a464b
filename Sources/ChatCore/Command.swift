// Command: one parsed chat/1 client line, and the parser that makes it.
//
// The parser checks the line's text (UTF-8, no control characters other than
// tab), splits the verb (case-insensitive) from its arguments and checks their
// count and shape. It works on the line's bytes (every SAY passes through it,
// so it makes one String for the text and no per-character work); the
// separators it looks for are ASCII, which never occur inside a multi-byte
// UTF-8 sequence. It does not look at server state (whether a room or user
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
    /// `CAP [LS]` lists the server's capabilities; `CAP REQ NAME...` enables some.
    case capabilities(request: [String]?)
    /// HISTORY TARGET [BEFORE ID | AFTER ID] [LIMIT N] (limit nil: the server's default).
    case history(target: String, range: HistoryRange, limit: Int?)
    /// CERTONLY [ROOM]: the room (default: current) admits certificate users only from now on.
    case certificateOnly(String?)
    /// STARTTLS: switch this plaintext connection to TLS (PROTOCOL.md section 13).
    case startTLS

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
        case .capabilities: "CAP"
        case .history: "HISTORY"
        case .certificateOnly: "CERTONLY"
        case .startTLS: "STARTTLS"
        }
    }

    public static let allVerbs = ["NICK", "JOIN", "PART", "SAY", "MSG", "ROOMS", "WHO", "WHOAMI", "PING", "HELP", "BYE", "CAP", "HISTORY", "CERTONLY", "STARTTLS"]
}

public enum CommandParser {
    /// True for a line of only spaces and tabs (or nothing): ignored, no reply, not a command.
    public static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    /// The outcome for one line: nil for a blank line (ignored, no reply).
    public static func parse(_ bytes: [UInt8]) -> Result<Command, CommandError>? {
        guard !isBlank(bytes) else { return nil }
        guard (try? UTF8Span(validating: bytes.span)) != nil else {  // checks without copying
            return .failure(CommandError(.badUTF8, "line is not valid UTF-8"))
        }
        if let bad = firstForbidden(in: bytes) {
            let code = "U+" + String(bad.value, radix: 16, uppercase: true)
            return .failure(CommandError(.badText, "line contains control character \(code)"))
        }
        return bytes.withUnsafeBufferPointer { parse(validated: $0) }
    }

    /// The first scalar `isForbidden` rejects, found on the bytes of valid UTF-8: C0 and DEL
    /// are single bytes, C1 is C2 80...9F, and the separators and bidi controls are E2 80 A8...AE
    /// and E2 81 A6...A9.
    static func firstForbidden(in bytes: [UInt8]) -> Unicode.Scalar? {
        bytes.withUnsafeBufferPointer { firstForbidden(in: $0) }
    }

    /// The same over a buffer: a plain loop, quick in debug builds too (a text from another
    /// node can be 1 MiB, and the loop must keep reading its sockets).
    static func firstForbidden(in bytes: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar? {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if (byte < 0x20 && byte != 0x09) || byte == 0x7F { return Unicode.Scalar(byte) }
            if byte == 0xC2, index + 1 < bytes.endIndex, (0x80...0x9F).contains(bytes[index + 1]) {
                return Unicode.Scalar(bytes[index + 1])
            }
            if byte == 0xE2, index + 2 < bytes.endIndex {
                let second = bytes[index + 1], third = bytes[index + 2]
                if (second == 0x80 && (0xA8...0xAE).contains(third)) || (second == 0x81 && (0xA6...0xA9).contains(third)) {
                    return Unicode.Scalar(0x2000 | UInt32(second & 0x3F) << 6 | UInt32(third & 0x3F))
                }
            }
            index += 1
        }
        return nil
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

    /// Parses a line already known to be valid UTF-8 without forbidden characters.
    private static func parse(validated line: UnsafeBufferPointer<UInt8>) -> Result<Command, CommandError> {
        let space = UInt8(ascii: " ")
        var start = 0
        while start < line.count && line[start] == space { start += 1 }
        var verbEnd = start
        while verbEnd < line.count && line[verbEnd] != space { verbEnd += 1 }
        // ASCII-only upper-casing ("ſay" must not become "SAY"). A verb with any other byte
        // matches nothing: String == would treat e.g. KELVIN SIGN as "K".
        let verbIsASCII = !line[start..<verbEnd].contains { $0 >= 0x80 }
        let verb = String(unsafeUninitializedCapacity: verbEnd - start) { upper in
            for index in start..<verbEnd {
                let byte = line[index]
                upper[index - start] = (0x61...0x7A).contains(byte) ? byte - 32 : byte
            }
            return verbEnd - start
        }
        let restBytes = verbEnd < line.count ? UnsafeBufferPointer(rebasing: line[(verbEnd + 1)...]) : UnsafeBufferPointer(rebasing: line[0..<0])
        let hasText = restBytes.contains { $0 != space }
        lazy var words = restBytes.split(separator: space).map { String(decoding: $0, as: UTF8.self) }

        func usage(_ text: String) -> Result<Command, CommandError> {
            .failure(CommandError(.badArguments, "usage: \(text)"))
        }
        switch verbIsASCII ? verb : "" {
        case "NICK": return words.count == 1 ? .success(.nick(words[0])) : usage("NICK NAME")
        case "JOIN": return words.count == 1 ? .success(.join(words[0])) : usage("JOIN #ROOM")
        case "PART": return words.count <= 1 ? .success(.part(words.first)) : usage("PART [#ROOM]")
        case "SAY":
            return hasText ? .success(.say(String(decoding: restBytes, as: UTF8.self))) : usage("SAY TEXT")
        case "MSG":
            guard let targetStart = restBytes.firstIndex(where: { $0 != space }),
                  let targetEnd = restBytes[targetStart...].firstIndex(of: space) else { return usage("MSG TARGET TEXT") }
            let body = restBytes[(targetEnd + 1)...]
            guard body.contains(where: { $0 != space }) else { return usage("MSG TARGET TEXT") }
            return .success(.message(target: String(decoding: restBytes[targetStart..<targetEnd], as: UTF8.self),
                                     text: String(decoding: body, as: UTF8.self)))
        case "ROOMS": return words.isEmpty ? .success(.rooms) : usage("ROOMS")
        case "WHO": return words.count <= 1 ? .success(.who(words.first)) : usage("WHO [#ROOM]")
        case "WHOAMI": return words.isEmpty ? .success(.whoAmI) : usage("WHOAMI")
        case "PING": return words.count <= 1 ? .success(.ping(words.first)) : usage("PING [TOKEN]")
        case "HELP": return .success(.help)
        case "BYE": return words.isEmpty ? .success(.bye) : usage("BYE")
        case "CAP":
            if words.isEmpty || (words.count == 1 && isASCIIWord(words[0], "LS")) { return .success(.capabilities(request: nil)) }
            if words.count >= 2 && isASCIIWord(words[0], "REQ") { return .success(.capabilities(request: Array(words.dropFirst()))) }
            return usage("CAP [LS] | CAP REQ NAME...")
        case "HISTORY": return parseHistory(words)
        case "CERTONLY": return words.count <= 1 ? .success(.certificateOnly(words.first)) : usage("CERTONLY [#ROOM]")
        case "STARTTLS": return words.isEmpty ? .success(.startTLS) : usage("STARTTLS")
        default:
            let shown = verb.count > 32 ? String(verb.prefix(32)) + "..." : verb
            return .failure(CommandError(.unknownCommand, "unknown command '\(shown)'; try HELP"))
        }
    }

    /// HISTORY TARGET [BEFORE ID | AFTER ID] [LIMIT N]; BEFORE ids and N are 1 or more (the
    /// server caps N), AFTER ids 0 or more (`AFTER 0`: from the oldest message, for a client
    /// that has seen none). Keywords are case-insensitive, each at most once.
    private static func parseHistory(_ words: [String]) -> Result<Command, CommandError> {
        let usage = Result<Command, CommandError>.failure(CommandError(.badArguments, "usage: HISTORY TARGET [BEFORE ID | AFTER ID] [LIMIT N]"))
        guard let target = words.first else { return usage }
        var range = HistoryRange.latest, limit: Int?, index = 1
        while index + 1 < words.count {
            guard let number = Int64(words[index + 1]), words[index + 1].utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return usage }
            guard number >= 1 || isASCIIWord(words[index], "AFTER") else { return usage }
            if isASCIIWord(words[index], "BEFORE") || isASCIIWord(words[index], "AFTER") {
                guard range == .latest else { return usage }
                range = isASCIIWord(words[index], "BEFORE") ? .before(number) : .after(number)
            } else if isASCIIWord(words[index], "LIMIT"), limit == nil {
                limit = Int(clamping: number)
            } else {
                return usage
            }
            index += 2
        }
        return index == words.count ? .success(.history(target: target, range: range, limit: limit)) : usage
    }

    /// `word` is `upper` in ASCII letters of any case (no Unicode case mapping: "lſ" is not "LS").
    private static func isASCIIWord(_ word: String, _ upper: String) -> Bool {
        word.utf8.count == upper.utf8.count
            && zip(word.utf8, upper.utf8).allSatisfy { (0x61...0x7A).contains($0) ? $0 - 32 == $1 : $0 == $1 }
    }
}
