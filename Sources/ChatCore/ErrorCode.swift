// ErrorCode: the stable machine words of `ERR CODE text` replies
// (PROTOCOL.md section 6). Clients may switch on them; never rename one.

public enum ErrorCode: String, Sendable, CaseIterable {
    case lineTooLong = "LINE_TOO_LONG"
    case badUTF8 = "BAD_UTF8"
    case badText = "BAD_TEXT"
    case unknownCommand = "UNKNOWN_COMMAND"
    case badArguments = "BAD_ARGUMENTS"
    case nameInUse = "NAME_IN_USE"
    case nameReserved = "NAME_RESERVED"
    case notAllowed = "NOT_ALLOWED"
    case noSuchUser = "NO_SUCH_USER"
    case noSuchRoom = "NO_SUCH_ROOM"
    case notInRoom = "NOT_IN_ROOM"
    case noCurrentRoom = "NO_CURRENT_ROOM"
    case tooManyRooms = "TOO_MANY_ROOMS"
    case rateLimited = "RATE_LIMITED"
    /// HISTORY on a server that keeps none (`--history none`).
    case noHistory = "NO_HISTORY"
    /// The history store could not be read just now.
    case historyFailed = "HISTORY_FAILED"
}

/// A failed command: its code and the human text that follows it.
public struct CommandError: Error, Equatable, Sendable {
    public let code: ErrorCode
    public let text: String

    public init(_ code: ErrorCode, _ text: String) {
        self.code = code
        self.text = text
    }

    /// The reply line, without the newline: "ERR CODE text".
    public var line: String { "ERR \(code.rawValue) \(text)" }
}
