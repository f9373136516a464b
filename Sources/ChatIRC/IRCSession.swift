// IRCSession: one IRC client connection seen by the chat core as an ordinary
// ChatSession. It is the session's ChatSessionLink: every chat/1 line the core
// sends (greeting, OK/ERR replies, MSG, PRIV, JOINED, PARTED, RENAMED, NOTICE,
// PING) is translated into IRC lines (IRCSession+Events) and written to the
// IRCTransport; every IRC line the client sends is either answered here
// (registration, CAP, SASL, WHOIS, NAMES...) or turned into chat/1 commands for
// the core (IRCSession+Commands). The core answers every command exactly once
// and in order, so `pending` remembers, per command sent, how to translate its
// reply; answers made here wait in the same queue, so replies keep the order
// of the client's commands. Pure: no sockets or clocks (the wall clock for
// server-time is injected). Rate limits, framing and idle checks are the
// server layer's; it calls `receive(line:)`, `refuseRateLimited`,
// `lineTooLong` and `connectionClosed`.
import ChatCore

public final class IRCSession: ChatSessionLink {
    let core: ChatServerCore
    let info: IRCServerInfo
    let credentials: ClientCredentials
    let clock: () -> Int64
    let cache: IRCBroadcastCache
    /// Strong until `connectionClosed` (the transport owns this object).
    var transport: (any IRCTransport)?
    public internal(set) var session: ChatSession?
    var registration = IRCRegistration()
    /// Enabled IRCv3 capabilities (CAP REQ); `tagVariant` and `echoes` follow them (read
    /// once per delivery, so kept as plain values rather than looked up in the set).
    var capabilities: Set<String> = [] {
        didSet {
            tagVariant = (capabilities.contains("server-time") ? 1 : 0) | (capabilities.contains("account-tag") ? 2 : 0)
            echoes = capabilities.contains("echo-message")
        }
    }
    /// The tag variant of IRCEventTranslator this client asked for.
    var tagVariant = 0
    var echoes = false
    /// The chat/1 name and trust the greeting gave (after registration).
    var name = ""
    var trust: Trust = .plain
    /// Channels the IRC client was told it is in (JOIN sent, PART not yet).
    var channels: Set<String> = []
    /// One entry per chat/1 command in flight or local answer waiting behind one.
    var pending: [PendingReply] = []
    var pendingStart = 0
    /// The user whose QUIT was the last room event written (see `deliverShared`).
    var lastQuitter: String?
    /// SASL EXTERNAL succeeded on this connection.
    var loggedIn = false

    public init(core: ChatServerCore, info: IRCServerInfo, credentials: ClientCredentials, cache: IRCBroadcastCache,
                transport: any IRCTransport, clock: @escaping () -> Int64) {
        self.core = core
        self.info = info
        self.credentials = credentials
        self.cache = cache
        self.transport = transport
        self.clock = clock
    }

    /// The client's nick as IRC sees it ("*" before registration).
    var nick: String { name.isEmpty ? (registration.nick ?? "*") : IRCNicks.nick(forName: name) }

    /// The client's own prefix, `nick!trust@host`.
    var ownPrefix: String { "\(nick)!\(trust.rawValue)@\(info.userHost)" }

    /// The certificate name this connection's verified certificate gives, if usable.
    var certificateName: String? { NameRules(limits: info.limits).certificateName(credentials.certificateCommonName) }

    // MARK: Input from the server layer

    /// One IRC line (without CR LF, not blank) the client sent within its rate.
    public func receive(line: [UInt8]) {
        guard transport != nil else { return }
        let body = IRCLinePolicy.bodyLength(of: line)
        guard body <= IRCLinePolicy.maximumBodyBytes else {
            return answer { $0.numeric("417", ":Input line was too long (more than 510 bytes without tags)") }
        }
        guard let message = IRCMessage.parse(line) else {
            return answer { $0.notice("line ignored: not valid UTF-8 or no command") }
        }
        if session == nil { return register(message) }
        dispatch(message)
    }

    /// The client sent a line over its rate: this line gets a notice and is dropped.
    public func refuseRateLimited() {
        guard let session else { return notice("too many commands; slow down (command dropped)") }
        enqueue(.rateLimited)
        core.refuseRateLimited(session)
    }

    /// The client kept sending far above its rate: closed, as on chat/1.
    public func dropFlooding() {
        guard let session else { return closeUnregistered("too many commands over the rate limit") }
        core.dropFlooding(session)
    }

    /// The client sent a line longer than any IRC line may be (tags included): closed.
    public func lineTooLong() {
        guard let session else { return closeUnregistered("line longer than \(IRCLinePolicy.maximumLineBytes) bytes") }
        enqueue(.lineTooLong)
        core.lineTooLong(from: session)
    }

    /// The connection ended: the core forgets the session; the transport is let go.
    public func connectionClosed() {
        if let session { core.disconnect(session) }
        transport = nil
    }

    func closeUnregistered(_ why: String) {
        emit(IRCMessage(command: "ERROR", parameters: ["Closing link: \(why)"]))
        transport?.closeAfterFlush(nil)
    }

    // MARK: ChatSessionLink (what the core sends)

    public func send(_ message: OutboundMessage) -> Bool {
        guard let transport else { return false }
        // The common case: a room message every IRC member gets, translated already.
        if message.isBroadcast, let shared = cache.hit(message, variant: tagVariant) { return deliverShared(shared, to: transport) }
        return translate(message, to: transport)
    }

    /// Writes a shared room event; of the `PARTED ... quit` lines one departure brings (one
    /// per room shared, back to back), only the first is written: it is an IRC QUIT.
    func deliverShared(_ shared: OutboundMessage, to transport: any IRCTransport) -> Bool {
        if let quitter = cache.quitter {
            if quitter == lastQuitter { return true }
            lastQuitter = quitter
        } else if lastQuitter != nil {
            lastQuitter = nil
        }
        return transport.write(shared)
    }

    public func closeAfterFlush(_ reason: SessionEndReason) { transport?.closeAfterFlush(reason) }

    public func sessionRenamed(from oldName: String, to newName: String) {
        transport?.sessionRenamed(from: oldName, to: newName)
    }

    public var outputRoom: Int { transport?.outputRoom ?? 0 }

    // MARK: Output helpers

    @discardableResult
    func emit(_ message: IRCMessage) -> Bool {
        guard let transport else { return false }
        return transport.write(OutboundMessage(line: message.encoded() + "\r"))
    }

    /// A numeric from the server to this client: `:server CODE nick PARAMS`; a last
    /// parameter given with a leading ":" is sent as the trailing one.
    func numeric(_ code: String, _ parameters: String...) {
        var words = [nick]
        var trailing = false
        for parameter in parameters {
            if parameter.hasPrefix(":") { words.append(String(parameter.dropFirst())); trailing = true } else { words.append(parameter) }
        }
        emit(IRCMessage(prefix: info.serverName, command: code, parameters: words).withTrailing(trailing))
    }

    func notice(_ text: String) {
        emit(IRCMessage(prefix: info.serverName, command: "NOTICE", parameters: [nick, text]).withTrailing(true))
    }

    // MARK: Ordered answers

    /// What to do with the core's reply to one command, or a local answer waiting its turn.
    enum PendingReply {
        case nick
        case join(String)
        case part(String, reason: String?)
        case message(target: String, text: String, isNotice: Bool)
        case quit(String)
        case list(filter: Set<String>?)
        case rateLimited
        case lineTooLong
        /// Answered here, once every earlier reply has been translated.
        case local((IRCSession) -> Void)
    }

    func enqueue(_ entry: PendingReply) { pending.append(entry) }

    /// Sends a chat/1 command line for `entry` (pushed first: the reply may come at once).
    func command(_ line: String, _ entry: PendingReply) {
        guard let session else { return }
        enqueue(entry)
        core.receive(line: Array(line.utf8), from: session)
    }

    /// Answers at once when nothing is waiting, else after the replies before it.
    func answer(_ body: @escaping (IRCSession) -> Void) {
        if pendingStart == pending.count { body(self) } else { enqueue(.local(body)) }
    }

    /// The oldest waiting entry that needs the core's reply; runs local answers before it.
    func takeReplyEntry() -> PendingReply? {
        runLocalAnswers()
        guard pendingStart < pending.count else { return nil }
        let entry = pending[pendingStart]
        pendingStart += 1
        compactPending()
        return entry
    }

    func runLocalAnswers() {
        while pendingStart < pending.count, case .local(let body) = pending[pendingStart] {
            pendingStart += 1
            body(self)
        }
        compactPending()
    }

    private func compactPending() {
        if pendingStart == pending.count { pending.removeAll(keepingCapacity: true); pendingStart = 0 }
    }
}

extension IRCMessage {
    /// The same message with its last parameter always written as a trailing one.
    func withTrailing(_ trailing: Bool) -> IRCMessage {
        var copy = self
        copy.forceTrailing = trailing
        return copy
    }
}
