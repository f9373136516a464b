// IRCServerInfo: what the IRC edge says about the server: its name in IRC
// prefixes, the welcome numerics' texts and the ISUPPORT (005) tokens, all
// derived from the chat limits so that they tell IRC clients the truth
// (CASEMAPPING=ascii is NameRules.key's comparison; NICKLEN and CHANNELLEN are
// the name limits; CHANLIMIT the rooms per client). Plain values; no state.
import ChatCore

public struct IRCServerInfo: Sendable {
    /// The server's name in IRC prefixes (`:tlschatd 001 ...`); one word, no spaces.
    public var serverName: String
    public var network = "TLSChat"
    public var version: String
    public let limits: ChatLimits
    /// The host part of every user prefix (`alice!cert@tlschat`); the user part is the trust.
    public var userHost = "tlschat"
    /// PRIVMSG/NOTICE targets (and JOIN/PART channels) one line may name.
    public var maximumTargets = 4

    public init(serverName: String = "tlschatd", version: String = TLSChatVersion.string, limits: ChatLimits) {
        self.serverName = serverName
        self.version = version
        self.limits = limits
    }

    /// The ISUPPORT tokens, in the order sent.
    public var isupportTokens: [String] {
        ["CASEMAPPING=ascii", "CHANTYPES=#", "CHANNELLEN=\(limits.maximumRoomNameLength + 1)",
         "NICKLEN=\(limits.maximumNameLength)", "CHANLIMIT=#:\(limits.maximumRoomsPerClient)",
         "MAXTARGETS=\(maximumTargets)", "TARGMAX=PRIVMSG:\(maximumTargets),NOTICE:\(maximumTargets),JOIN:\(maximumTargets),PART:\(maximumTargets),WHOIS:1,NAMES:1",
         "PREFIX=", "CHANMODES=,,,", "NETWORK=\(network)", "UTF8ONLY", "SAFELIST"]
    }

    /// The IRCv3 capabilities offered (CAP LS), with the value `sasl` gets under CAP LS 302.
    public static let capabilities = ["account-tag", "echo-message", "message-tags", "sasl", "server-time"]
}

/// The connection an IRCSession writes to, implemented by the server layer.
public protocol IRCTransport: AnyObject {
    /// Queues `message` (one or more IRC lines ending CR LF); false when the client stopped
    /// reading and is being closed. A message marked broadcast may be shared by many clients.
    func write(_ message: OutboundMessage) -> Bool
    /// Flushes what was queued, then closes; `reason` nil before a session exists.
    func closeAfterFlush(_ reason: SessionEndReason?)
    /// Registration finished: `session` is the core's session for this connection now.
    func registered(_ session: ChatSession)
    /// The session's name changed (for the server's log).
    func sessionRenamed(from oldName: String, to newName: String)
    var outputRoom: Int { get }
}
