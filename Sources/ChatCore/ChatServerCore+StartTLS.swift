// ChatServerCore+StartTLS: the chat rules of STARTTLS on the plaintext listener
// (PROTOCOL.md section 13). `STARTTLS` is allowed once, only on a plaintext
// connection; once it is accepted no further input of the session is executed
// until the server layer reports the finished handshake with `upgraded`, so
// bytes pipelined behind STARTTLS can never run (the CVE-2011-0411 class).
// Then the identity is evaluated again as for a new TLS connection: a usable
// certificate name gives that name and `cert` trust (replacing an older
// session of the same certificate, as a fresh login would), otherwise the
// guest name stays with `tls` trust. The session keeps its rooms (and a
// guest its name); the capabilities it enabled with CAP REQ in plaintext do
// not carry over (an attacker on the path could have sent that CAP REQ), so the
// client asks again over TLS. The other members see the plaintext identity
// leave (`PARTED ... quit`) and the new one join (`JOINED`), lines every chat/1
// client knows; the session itself gets a new `HELLO` greeting, and a `cert`
// user the expiry notice exactly as on connect. With `requireStartTLS` a
// plaintext session may only send STARTTLS, CAP, PING and BYE, is kept out of
// the starting room and cannot be sent private messages until it upgrades.
// No TLS here: the core only learns the new credentials.

extension ChatServerCore {
    /// Verbs a plaintext session may use before STARTTLS when `requireStartTLS` is on.
    static let verbsAllowedBeforeStartTLS: Set<String> = ["STARTTLS", "CAP", "PING", "BYE"]

    /// True while `session` must upgrade before anything else (the operator asked for it).
    func mustUpgradeFirst(_ session: ChatSession) -> Bool {
        requireStartTLS && session.credentials.transport == .plain && session.upgrade == .none
    }

    /// The refusal for a command a plaintext session may not send yet, or nil.
    func refusalBeforeStartTLS(_ command: Command, _ session: ChatSession) -> CommandError? {
        guard mustUpgradeFirst(session), !Self.verbsAllowedBeforeStartTLS.contains(command.verb) else { return nil }
        return CommandError(.notAllowed, "this listener requires TLS: send STARTTLS first (only STARTTLS, CAP, PING and BYE work before it)")
    }

    /// `starttls` in CAP LS, only where it can be used now: a plaintext session not yet upgraded.
    func startTLSCapabilityToken(_ session: ChatSession) -> String {
        session.credentials.transport == .plain && session.upgrade == .none ? " starttls" : ""
    }

    /// STARTTLS: `OK STARTTLS`, then the link switches to TLS. The reply is sent here,
    /// before the link is told, so it is the last plaintext line.
    func startTLS(_ session: ChatSession) -> Result<String, CommandError> {
        guard session.upgrade == .none else {
            return .failure(CommandError(.notAllowed, "this connection is already TLS (STARTTLS works once)"))
        }
        guard session.credentials.transport == .plain else {
            return .failure(CommandError(.notAllowed, "this connection is already TLS; STARTTLS is for the plaintext listener"))
        }
        stopGathering(for: session)  // later room messages go to the TLS connection
        session.send("OK STARTTLS")
        session.upgrade = .upgrading
        session.heldInput.removeAll()  // nothing pipelined behind STARTTLS is ever replayed
        session.link.startTLS()
        return .success(Self.replyAfterCommit)  // already replied
    }

    /// The TLS handshake after STARTTLS finished: `credentials` are the new connection's
    /// (transport `tls`, and a verified certificate's name and fingerprint, if any).
    /// `now` (seconds since 1970-01-01 UTC; nil: unknown) decides the expiry notice, as in `connect`.
    public func upgraded(_ session: ChatSession, credentials: ClientCredentials, now: Int64? = nil) {
        guard !session.isGone, session.upgrade == .upgrading else { return }
        resetCapabilities(session)
        let oldRooms = session.rooms
        for room in oldRooms { leave(room, session, reason: "quit") }  // plaintext identity leaves (anonymous: one session)
        let oldKey = NameRules.key(session.name)
        sessionsByName[oldKey]?.removeAll { $0 === session }
        if sessionsByName[oldKey]?.isEmpty == true { sessionsByName[oldKey] = nil }

        let certificateName = rules.certificateName(credentials.certificateCommonName)
        if let certificateName { replaceOldestSession(of: certificateName) }
        session.name = certificateName ?? session.name
        session.trust = certificateName != nil ? .cert : .tls
        session.credentials = credentials
        session.upgrade = .done
        let key = NameRules.key(session.name)
        let sibling = sessionsByName[key]?.first
        sessionsByName[key, default: []].append(session)
        if let sibling { attach(session, alongside: sibling) }

        var rejoin = oldRooms
        if session.awaitsUpgradeForLobby, let lobby, sibling == nil { rejoin = [lobby] }
        session.awaitsUpgradeForLobby = false
        for room in rejoin where !session.rooms.contains(room) { _ = enter(room, session) }
        if let current = oldRooms.last, session.rooms.contains(current) {  // the current room stays current
            session.rooms.removeAll { $0 == current }
            session.rooms.append(current)
        }
        session.send("HELLO chat/1 \(serverName) \(credentials.transport.rawValue) \(session.name) \(session.trust.rawValue) \(session.currentRoom ?? "-")")
        sendIdentityNotices(session, certificateName: certificateName, credentials: credentials, now: now)
    }

    /// Forgets what the session enabled with CAP REQ before the upgrade (PROTOCOL.md section
    /// 13): those requests were plaintext, so anyone on the path could have made them.
    private func resetCapabilities(_ session: ChatSession) {
        stopGathering(for: session)
        if session.wantsMessageIDs { sessionsWantingIDs -= 1 }
        session.wantsMessageIDs = false
        session.wantsJoinHistory = false
        session.wantsRoomFlags = false
    }

    /// Makes room for one more session of `certificateName`: when its user already holds
    /// `sessionsPerUser` sessions, the oldest is told and closed (as on a new login).
    private func replaceOldestSession(of certificateName: String) {
        guard let holders = sessionsByName[NameRules.key(certificateName)],
              holders.count >= limits.sessionsPerUser, let oldest = holders.first else { return }
        endReplaced(oldest, notice: Self.replacedByLogin)
    }
}
