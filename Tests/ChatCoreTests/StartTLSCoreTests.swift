// StartTLSCoreTests: the chat rules of STARTTLS without a network (PROTOCOL.md
// section 13): allowed once and only on the plaintext listener, nothing sent
// behind it ever runs, the identity is evaluated again after the handshake
// (certificate name and trust, replacement, rooms kept, what the others see),
// CAP LS, what carries over (rooms, a guest's NICK; not the CAP REQ
// capabilities), the expiry notice after the new greeting, held input behind a
// held STARTTLS on a server with history, and --plain-require-starttls
// (including private messages to a session not yet upgraded). The TLS
// handshake itself is simulated by calling `upgraded`; the network side is in
// Tests/ChatNetTests.
import ChatCore
import Testing

@Suite("STARTTLS rules")
struct StartTLSCoreTests {
    let tlsAnonymous = ClientCredentials(transport: .tls)
    func tlsCertificate(_ name: String) -> ClientCredentials {
        ClientCredentials(transport: .tls, certificateCommonName: name, certificateFingerprint: "sha256:cd")
    }

    @Test("STARTTLS on plain: OK STARTTLS, the link is told once; a second STARTTLS after the upgrade is NOT_ALLOWED")
    func onceOnPlain() {
        let core = ChatServerCore()
        let plain = Client(core, transport: .plain)
        #expect(plain.send("STARTTLS") == ["OK STARTTLS"])
        #expect(plain.link.startTLSCalls == 1)
        core.upgraded(plain.session, credentials: tlsAnonymous)
        #expect(plain.link.take() == ["HELLO chat/1 tlschatd tls ~guest1 tls #lobby"])
        #expect(plain.send("STARTTLS").first?.hasPrefix("ERR NOT_ALLOWED ") == true)
        #expect(plain.send("starttls").first?.hasPrefix("ERR NOT_ALLOWED ") == true)
        #expect(plain.link.startTLSCalls == 1)
        #expect(plain.send("STARTTLS now").first?.hasPrefix("ERR BAD_ARGUMENTS ") == true)
    }

    @Test("STARTTLS over TLS is ERR NOT_ALLOWED and never touches the link")
    func refusedOverTLS() {
        let core = ChatServerCore()
        for client in [Client(core), Client(core, cert: "alice")] {
            let reply = client.send("STARTTLS")
            #expect(reply.count == 1 && reply[0].hasPrefix("ERR NOT_ALLOWED "), "\(reply)")
            #expect(client.link.startTLSCalls == 0)
        }
    }

    @Test("lines behind STARTTLS, fed one at a time before the handshake ends, never run and are not replayed after it")
    func pipelinedNeverExecuted() {
        let core = ChatServerCore()
        let observer = Client(core, cert: "bob")
        let plain = Client(core, transport: .plain)
        _ = observer.link.take()
        #expect(plain.send("STARTTLS") == ["OK STARTTLS"])
        for line in ["SAY #lobby injected", "NICK mallory", "JOIN #evil", "BYE"] {
            #expect(plain.send(line).isEmpty, "\(line) got a reply while upgrading")
        }
        core.refuseRateLimited(plain.session)
        #expect(plain.link.take().isEmpty)
        #expect(observer.link.take().isEmpty, "the observer saw something of the pipelined lines")
        core.upgraded(plain.session, credentials: tlsAnonymous)
        #expect(plain.link.take() == ["HELLO chat/1 tlschatd tls ~guest1 tls #lobby"])
        #expect(!plain.link.closed)
        #expect(observer.link.take() == ["PARTED #lobby ~guest1 plain quit", "JOINED #lobby ~guest1 tls"])
        #expect(observer.send("ROOMS") == ["OK ROOMS 1 #lobby:2"], "#evil was never joined")
    }

    @Test("a certificate after STARTTLS gives its name and cert trust; rooms and the current room are kept; others see PARTED then JOINED")
    func certificateIdentity() {
        let core = ChatServerCore()
        let bob = Client(core, cert: "bob")
        let plain = Client(core, transport: .plain)
        _ = bob.send("JOIN #dev")
        _ = plain.send("JOIN #dev")
        _ = plain.send("JOIN #ops")
        _ = plain.send("JOIN #dev")  // current room: #dev
        _ = bob.link.take()
        #expect(plain.send("STARTTLS") == ["OK STARTTLS"])
        core.upgraded(plain.session, credentials: tlsCertificate("alice"))
        #expect(plain.link.take() == ["HELLO chat/1 tlschatd tls alice cert #dev"])
        #expect(bob.link.take() == ["PARTED #lobby ~guest1 plain quit", "PARTED #dev ~guest1 plain quit",
                                    "JOINED #lobby alice cert", "JOINED #dev alice cert"])
        #expect(plain.send("WHOAMI") == ["OK WHOAMI alice cert tls sha256:cd #dev"])
        #expect(plain.send("WHO #ops") == ["OK WHO #ops 1 alice:cert"])
        #expect(plain.send("SAY hi") == ["OK SAY #dev sent 1/1"])
        #expect(bob.link.take() == ["MSG #dev alice cert hi"])
        #expect(plain.send("NICK carol").first?.hasPrefix("ERR NOT_ALLOWED ") == true, "a cert name cannot be changed")
    }

    @Test("a certificate whose name is not usable after STARTTLS: tls trust, same guest name, the identity notice")
    func unusableCertificateName() {
        let core = ChatServerCore()
        let plain = Client(core, transport: .plain)
        _ = plain.send("STARTTLS")
        core.upgraded(plain.session, credentials: tlsCertificate("not a name"))
        #expect(plain.link.take() == ["HELLO chat/1 tlschatd tls ~guest1 tls #lobby",
                                      "NOTICE identity certificate name not usable as a chat name"])
    }

    @Test("upgrading with a certificate replaces the older session of that certificate, as a fresh login would")
    func replacesOlderSession() {
        let core = ChatServerCore()
        let old = Client(core, cert: "alice")
        let plain = Client(core, transport: .plain)
        _ = plain.send("STARTTLS")
        _ = old.link.take()
        core.upgraded(plain.session, credentials: tlsCertificate("alice"))
        #expect(old.link.take() == ["PARTED #lobby ~guest1 plain quit",
                                    "NOTICE replaced another connection signed in with your certificate"])
        #expect(old.link.closed)
        #expect(plain.link.take() == ["HELLO chat/1 tlschatd tls alice cert #lobby"])
        #expect(plain.send("WHO") == ["OK WHO #lobby 1 alice:cert"])
    }

    @Test("CAP LS lists starttls only where it can be used: plaintext, not yet upgraded")
    func capability() {
        let core = ChatServerCore()
        let plain = Client(core, transport: .plain)
        #expect(plain.send("CAP LS").first?.hasSuffix(" starttls") == true)
        #expect(Client(core).send("CAP LS").first?.contains("starttls") == false)
        _ = plain.send("STARTTLS")
        core.upgraded(plain.session, credentials: tlsAnonymous)
        #expect(plain.send("CAP").first?.contains("starttls") == false)
        #expect(plain.send("HELP").first?.contains(" STARTTLS") == true)
    }

    @Test("--plain-require-starttls: before the upgrade only STARTTLS, CAP, PING and BYE; not in the lobby until upgraded")
    func requireStartTLS() {
        let core = ChatServerCore()
        core.requireStartTLS = true
        let bob = Client(core, cert: "bob")
        _ = bob.link.take()
        let plain = Client(core, transport: .plain)
        #expect(plain.link.take() == ["HELLO chat/1 tlschatd plain ~guest1 plain -"])
        #expect(bob.link.take().isEmpty, "a plaintext session that must upgrade is not announced")
        for line in ["SAY hi", "JOIN #x", "NICK carol", "MSG bob hi", "WHO #lobby", "WHOAMI", "ROOMS", "HELP", "HISTORY #lobby"] {
            let reply = plain.send(line)
            #expect(reply.count == 1 && reply[0].hasPrefix("ERR NOT_ALLOWED ") && reply[0].contains("STARTTLS"), "\(line): \(reply)")
        }
        #expect(plain.send("PING 7") == ["OK PING 7"])
        #expect(plain.send("CAP LS").first?.hasPrefix("OK CAP LS ") == true)
        #expect(bob.link.take().isEmpty)
        #expect(plain.send("STARTTLS") == ["OK STARTTLS"])
        core.upgraded(plain.session, credentials: tlsAnonymous)
        #expect(plain.link.take() == ["HELLO chat/1 tlschatd tls ~guest1 tls #lobby"])
        #expect(bob.link.take() == ["JOINED #lobby ~guest1 tls"])
        #expect(plain.send("SAY hi") == ["OK SAY #lobby sent 1/1"])
        #expect(Client(core).send("WHO") == ["OK WHO #lobby 3 bob:cert ~guest1:tls ~guest2:tls"], "TLS clients are not affected")
        let leaving = Client(core, transport: .plain)
        #expect(leaving.send("BYE") == ["OK BYE"])
    }

    @Test("--plain-require-starttls: a session not yet upgraded gets no private message (NO_SUCH_USER) and is not in WHO; after the upgrade it does")
    func notReachableBeforeUpgrade() {
        let core = ChatServerCore()
        core.requireStartTLS = true
        let bob = Client(core, cert: "bob")
        let plain = Client(core, transport: .plain)
        _ = plain.link.take()
        let refused = bob.send("MSG ~guest1 secret")
        #expect(refused.count == 1 && refused[0].hasPrefix("ERR NO_SUCH_USER "), "\(refused)")
        #expect(plain.link.take().isEmpty, "the private message crossed in plaintext")
        #expect(bob.send("WHO") == ["OK WHO #lobby 1 bob:cert"])
        _ = plain.send("STARTTLS")
        core.upgraded(plain.session, credentials: tlsAnonymous)
        _ = plain.link.take()
        #expect(bob.send("MSG ~guest1 now encrypted") == ["OK MSG ~guest1 sent 1/1"])
        #expect(plain.link.take() == ["PRIV bob cert now encrypted"])

        let open = ChatServerCore()  // without the option, plaintext users are reachable as before
        let carol = Client(open, cert: "carol")
        let guest = Client(open, transport: .plain)
        #expect(carol.send("MSG ~guest1 hi") == ["OK MSG ~guest1 sent 1/1"])
        #expect(guest.link.take().last == "PRIV carol cert hi")
    }

    @Test("capabilities enabled with CAP REQ in plaintext do not survive STARTTLS (an on-path CAP REQ); rooms and a guest's NICK do")
    func capabilitiesDoNotCarryOver() throws {
        let fixture = try HistoryFixture()
        let core = fixture.core
        let bob = Client(core, cert: "bob")
        let plain = Client(core, transport: .plain)
        #expect(plain.send("CAP REQ history join-history room-flags") == ["OK CAP REQ history join-history room-flags"])
        #expect(plain.send("NICK carol") == ["OK NICK ~carol"])
        _ = plain.send("JOIN #dev")
        _ = bob.send("JOIN #ops")
        _ = bob.send("SAY earlier")
        fixture.commit()
        _ = bob.send("JOIN #vault")
        #expect(bob.send("CERTONLY #vault") == ["OK CERTONLY #vault"])
        #expect(plain.send("STARTTLS") == ["OK STARTTLS"])
        core.upgraded(plain.session, credentials: tlsAnonymous)
        #expect(plain.link.take() == ["HELLO chat/1 tlschatd tls ~carol tls #dev"])
        #expect(plain.send("SAY hi") == [])
        fixture.commit()
        #expect(plain.link.take() == ["OK SAY #dev sent 0/0"], "history (ids) was enabled in plaintext only")
        #expect(plain.send("JOIN #ops") == ["OK JOIN #ops 2"], "join-history was enabled in plaintext only")
        #expect(plain.send("ROOMS") == ["OK ROOMS 4 #dev:1 #lobby:2 #ops:2 #vault:1"], "room-flags was enabled in plaintext only")
        #expect(plain.send("CAP REQ history room-flags") == ["OK CAP REQ history room-flags"], "asked again over TLS")
        #expect(plain.send("ROOMS") == ["OK ROOMS 4 #dev:1 #lobby:2 #ops:2 #vault:1:cert"])
        #expect(plain.send("SAY again") == [])
        fixture.commit()
        #expect(plain.link.take().first?.hasPrefix("OK SAY #ops sent 1/1 id=") == true)
    }

    @Test("a cert user who upgrades gets NOTICE expiry right after the new HELLO, as on connect")
    func expiryNoticeAfterUpgrade() {
        let core = ChatServerCore()
        let plain = Client(core, transport: .plain)
        _ = plain.send("STARTTLS")
        let now: Int64 = 1_765_000_000
        core.upgraded(plain.session, credentials: ClientCredentials(transport: .tls, certificateCommonName: "carol",
                                                                    certificateFingerprint: "sha256:cd",
                                                                    certificateNotAfter: now + 5 * 86_400), now: now)
        let lines = plain.link.take()
        #expect(lines.count == 2 && lines[0] == "HELLO chat/1 tlschatd tls carol cert #lobby"
                && lines[1].hasPrefix("NOTICE expiry your certificate expires ") && lines[1].contains("(in 5 days)"), "\(lines)")
    }

    enum Behind: CaseIterable { case lineTooLong, flooding, rateLimited }

    @Test("SAY, STARTTLS and then bad input in one read on a server with history: the held STARTTLS runs, nothing held behind it does",
          arguments: Behind.allCases)
    func heldInputBehindStartTLS(_ behind: Behind) throws {
        let fixture = try HistoryFixture()
        let plain = Client(fixture.core, transport: .plain)
        _ = plain.link.take()
        // What ClientConnection hands the core for one read of "SAY x\nSTARTTLS\n" and then a line
        // over the limit (or commands beyond the rate): all of it waits for the SAY's commit.
        fixture.core.receive(line: Array("SAY x".utf8), from: plain.session)
        fixture.core.receive(line: Array("STARTTLS".utf8), from: plain.session)
        switch behind {
        case .lineTooLong: fixture.core.lineTooLong(from: plain.session)
        case .flooding: fixture.core.dropFlooding(plain.session)
        case .rateLimited: fixture.core.refuseRateLimited(plain.session)
        }
        #expect(plain.link.take().isEmpty)
        fixture.commit()
        #expect(plain.link.take() == ["OK SAY #lobby sent 0/0", "OK STARTTLS"])
        #expect(plain.link.startTLSCalls == 1)
        #expect(!plain.link.closed, "input held behind STARTTLS closed the session")
        fixture.core.upgraded(plain.session, credentials: tlsAnonymous)
        #expect(plain.link.take() == ["HELLO chat/1 tlschatd tls ~guest1 tls #lobby"])
        #expect(plain.send("PING 1") == ["OK PING 1"])
    }
}
