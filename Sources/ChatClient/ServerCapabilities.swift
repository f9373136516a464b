// ServerCapabilities: what a chat/1 server says about its limits in its
// `OK CAP LS` reply (PROTOCOL.md section 10): the command rate
// (`rate=BURST/PER_SECOND`), the longest line it accepts (`line=BYTES`) and
// whether it keeps history (`history=N`, `join-history=N`, section 11).
//
// Unknown tokens are ignored, as the protocol asks; a token with a value that
// makes no sense (zero, negative, not a number) is ignored too, so the
// protocol defaults of section 7 stay. This file only parses; `CommandPacer`
// decides how fast to send, `MessageSplitter` how to cut long text and
// `ClientHistory` what to ask of the history. Pure.

public struct ServerCapabilities: Equatable, Sendable {
    /// Commands the server accepts at once.
    public var commandBurst: Int
    /// Commands per second after the burst.
    public var commandsPerSecond: Double
    /// The longest line the server accepts, in bytes, without its LF.
    public var lineLimit: Int
    /// `history=N`: the server keeps history; one HISTORY request returns at most N messages (nil: none kept).
    public var historyLimit: Int?
    /// `join-history=N`: a session that enables `join-history` gets a room's last N messages on JOIN.
    public var joinHistory: Int?

    /// The defaults of PROTOCOL.md section 7, for servers that do not advertise them.
    public static let protocolDefaults = ServerCapabilities(commandBurst: 40, commandsPerSecond: 20, lineLimit: 4096)

    public init(commandBurst: Int, commandsPerSecond: Double, lineLimit: Int) {
        self.commandBurst = commandBurst
        self.commandsPerSecond = commandsPerSecond
        self.lineLimit = lineLimit
    }

    /// Reads the details of an `OK CAP ...` reply ("LS rate=40/20 line=4096 sessions=1").
    /// Nil when the details are not a capability list.
    public init?(capabilityListDetails details: String) {
        let words = ServerLine.words(details)
        guard words.first == "LS" else { return nil }
        self = .protocolDefaults
        for word in words.dropFirst() {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "rate":
                let rate = parts[1].split(separator: "/").map(String.init)
                guard rate.count == 2, let burst = Int(rate[0]), burst > 0,
                      let perSecond = Double(rate[1]), perSecond > 0, perSecond.isFinite else { continue }
                commandBurst = burst
                commandsPerSecond = perSecond
            case "line":
                guard let bytes = Int(parts[1]), bytes > 0 else { continue }
                lineLimit = bytes
            case "history":
                guard let limit = Int(parts[1]), limit > 0 else { continue }
                historyLimit = limit
            case "join-history":
                guard let count = Int(parts[1]), count >= 0 else { continue }
                joinHistory = count
            default:
                continue
            }
        }
    }
}
