// ChatCounters: what the chat core has done since it started, as plain
// integers the server reads when it is scraped for metrics (tlschatd
// --metrics-listen): commands by verb and result, room and private messages,
// and how many deliveries (one recipient queued one line) they made. It is
// plain data owned by ChatServerCore and changed only on the loop thread: an
// increment is an add to a stored Int, no lock, no atomic, no allocation, so
// the fan-out path pays one add per message (its delivery count is added
// once per message, not once per recipient). A command is counted when it is
// run: one whose reply waits for the history store counts as `ok` then, even
// if the store later answers `ERR HISTORY_FAILED` (store failures are counted
// by the server as history commit failures). It does not render, export or
// reset anything; ChatServerKit's metrics exposition does the rendering.

public struct ChatCounters: Sendable {
    /// Verb labels: the canonical verbs, then `unparsed` for a line whose verb or
    /// arguments did not parse (or that was refused before parsing: RATE_LIMITED).
    public static let verbs = Command.allVerbs + ["unparsed"]
    /// Result labels: `ok`, then every error code (PROTOCOL.md section 6).
    public static let results = ["ok"] + ErrorCode.allCases.map(\.rawValue)

    /// Commands by (verb, result), flattened: `commands[verbIndex * results.count + resultIndex]`.
    public private(set) var commands = [Int](repeating: 0, count: verbs.count * results.count)
    /// Room messages accepted (SAY, MSG #room), whether or not anyone else was in the room.
    public internal(set) var roomMessages = 0
    /// Private messages accepted (MSG NAME) to a user that was connected.
    public internal(set) var privateMessages = 0
    /// Lines of room or private messages queued for a recipient's connection.
    public internal(set) var deliveries = 0

    public init() {}

    /// How many `verb` commands ended with `result` ("ok" or an error code); 0 for unknown labels.
    public func commandCount(verb: String, result: String) -> Int {
        guard let verbIndex = Self.verbs.firstIndex(of: verb),
              let resultIndex = Self.results.firstIndex(of: result) else { return 0 }
        return commands[verbIndex * Self.results.count + resultIndex]
    }

    mutating func countCommand(_ command: Command?, result: ErrorCode?) {
        let verbIndex = command.map { Self.verbIndex(of: $0) } ?? Self.verbs.count - 1
        let resultIndex = result.map { Self.resultIndex(of: $0) } ?? 0
        commands[verbIndex * Self.results.count + resultIndex] += 1
    }

    private static func verbIndex(of command: Command) -> Int {
        switch command {
        case .nick: 0
        case .join: 1
        case .part: 2
        case .say: 3
        case .message: 4
        case .rooms: 5
        case .who: 6
        case .whoAmI: 7
        case .ping: 8
        case .help: 9
        case .bye: 10
        case .capabilities: 11
        case .history: 12
        case .certificateOnly: 13
        case .startTLS: 14
        }
    }

    private static let errorIndexes: [ErrorCode: Int] = Dictionary(
        uniqueKeysWithValues: ErrorCode.allCases.enumerated().map { ($0.element, $0.offset + 1) })

    private static func resultIndex(of code: ErrorCode) -> Int { errorIndexes[code] ?? 0 }
}
