// IRCRegistrationTests: CAP LS 302 / REQ / END, SASL EXTERNAL bound to the
// client certificate (and nothing else), NICK/USER, the welcome numerics with
// ISUPPORT, and the nick rules (a cert user is its certificate name; an
// anonymous user gets ^NICK, checked for collisions before registration).
import ChatCore
import ChatIRC
import Testing

@Suite("IRC registration")
struct IRCRegistrationTests {
    @Test("CAP LS 302 offers sasl=EXTERNAL and the cheap IRCv3 capabilities; registration waits for CAP END")
    func capNegotiationHoldsRegistration() {
        let core = ChatServerCore()
        let client = IRCTestClient(core)
        let listed = client.send("CAP LS 302")
        #expect(listed == [":tlschatd CAP * LS :account-tag echo-message message-tags sasl=EXTERNAL server-time"])
        #expect(client.send("CAP LS").first?.contains(" sasl ") == true)
        #expect(client.send("CAP REQ :server-time echo-message") == [":tlschatd CAP * ACK :server-time echo-message"])
        #expect(client.send("CAP REQ :sasl chghost") == [":tlschatd CAP * NAK :sasl chghost"])
        #expect(client.send("NICK carol").isEmpty)
        #expect(client.send("USER u 0 * :Carol").isEmpty)
        #expect(core.sessionCount == 0)
        let welcome = client.send("CAP END")
        #expect(core.sessionCount == 1)
        #expect(welcome.commands.prefix(6) == ["001", "002", "003", "004", "005", "422"])
        #expect(welcome.first == ":tlschatd 001 ^carol :Welcome to the TLSChat IRC gateway, ^carol!tls@tlschat")
    }

    @Test("CAP LS alone (no REQ) also holds registration until CAP END")
    func capListingHoldsRegistration() {
        let core = ChatServerCore()
        let client = IRCTestClient(core)
        client.send("CAP LS 302")
        client.send("NICK carol")
        #expect(client.send("USER u 0 * :Carol").isEmpty)
        #expect(core.sessionCount == 0)
        #expect(client.send("CAP END").first?.hasPrefix(":tlschatd 001 ^carol ") == true)
    }

    @Test("ISUPPORT tells the truth: CASEMAPPING=ascii, CHANTYPES=#, NICKLEN and CHANNELLEN from the limits")
    func isupport() {
        var limits = ChatLimits()
        limits.maximumNameLength = 20
        limits.maximumRoomNameLength = 24
        let client = IRCTestClient(ChatServerCore(limits: limits))
        let isupport = client.register().filter { $0.contains(" 005 ") }.joined(separator: " ")
        for token in ["CASEMAPPING=ascii", "CHANTYPES=#", "NICKLEN=20", "CHANNELLEN=25", "CHANLIMIT=#:16", "PREFIX= "] {
            #expect(isupport.contains(token), "\(token) in \(isupport)")
        }
    }

    @Test("SASL EXTERNAL with a certificate: AUTHENTICATE +, then 900 and 903; the nick is the certificate name")
    func saslExternalSucceedsWithCertificate() {
        let core = ChatServerCore()
        let client = IRCTestClient(core, cert: "alice")
        client.send("CAP LS 302")
        #expect(client.send("CAP REQ :sasl") == [":tlschatd CAP * ACK :sasl"])
        client.send("NICK somebody")
        client.send("USER u 0 * :x")
        #expect(client.send("AUTHENTICATE EXTERNAL") == ["AUTHENTICATE +"])
        let done = client.send("AUTHENTICATE +")
        #expect(done == [":tlschatd 900 somebody alice!cert@tlschat alice :You are now logged in as alice",
                         ":tlschatd 903 somebody :SASL authentication successful"])
        let welcome = client.send("CAP END")
        #expect(welcome.first?.hasPrefix(":tlschatd 001 alice ") == true)
        #expect(welcome.contains(":alice!cert@tlschat JOIN #lobby"))
        #expect(client.send("AUTHENTICATE EXTERNAL").commands == ["907"])
    }

    @Test("SASL EXTERNAL with an authorization identity: it must be the certificate name (base64)")
    func saslAuthorizationIdentity() {
        let client = IRCTestClient(ChatServerCore(), cert: "alice")
        client.send("AUTHENTICATE EXTERNAL")
        #expect(client.send("AUTHENTICATE Ym9i").commands == ["904"])  // "bob"
        client.send("AUTHENTICATE EXTERNAL")
        #expect(client.send("AUTHENTICATE QWxpY2U=").commands == ["900", "903"])  // "Alice"
    }

    @Test("SASL EXTERNAL without a certificate fails with 904; PLAIN is not offered (908 lists EXTERNAL, then 904)")
    func saslFailsWithoutCertificate() {
        let client = IRCTestClient(ChatServerCore())
        client.send("AUTHENTICATE EXTERNAL")
        let failed = client.send("AUTHENTICATE +")
        #expect(failed == [":tlschatd 904 * :SASL authentication failed: no client certificate was presented on this TLS connection"])
        #expect(client.send("AUTHENTICATE PLAIN").commands == ["908", "904"])
        #expect(client.send("AUTHENTICATE *").commands == ["906"])
    }

    @Test("anonymous nicks: ^NICK, a taken one is 433 before registration, a reserved or invalid one 432")
    func anonymousNicks() {
        let core = ChatServerCore()
        let first = IRCTestClient(core)
        first.register(nick: "carol")
        let second = IRCTestClient(core)
        #expect(second.send("NICK carol") == [":tlschatd 433 * carol :Nickname is already in use"])
        #expect(second.send("NICK ^Carol").commands == ["433"])  // ASCII case-insensitive
        #expect(second.send("NICK admin").commands == ["432"])
        #expect(second.send("NICK guest7").commands == ["432"])
        #expect(second.send("NICK bad!nick").commands == ["432"])
        let welcome = second.register(nick: "dave")
        #expect(welcome.contains { $0.hasPrefix(":tlschatd 001 ^dave ") })
        // A certificate name never collides: the cert user "carol" is a different user from ^carol.
        let chat = ChatUser(core, cert: "carol")
        #expect(chat.send("WHO #lobby").first == "OK WHO #lobby 3 carol:cert ~carol:tls ~dave:tls")
    }

    @Test("commands before registration get 451; PING is answered; QUIT closes with ERROR")
    func beforeRegistration() {
        let client = IRCTestClient(ChatServerCore())
        #expect(client.send("JOIN #a") == [":tlschatd 451 * :You have not registered"])
        #expect(client.send("PING :tok") == [":tlschatd PONG tlschatd tok"])
        #expect(client.send("QUIT") == ["ERROR :Closing link: quit"])
        #expect(client.transport.closed)
    }

    @Test("without CAP, NICK and USER register at once")
    func registrationWithoutCap() {
        let core = ChatServerCore()
        let client = IRCTestClient(core)
        client.send("NICK erin")
        let welcome = client.send("USER e 0 * :Erin")
        #expect(welcome.first == ":tlschatd 001 ^erin :Welcome to the TLSChat IRC gateway, ^erin!tls@tlschat")
        #expect(welcome.suffix(3).commands == ["JOIN", "353", "366"])
        #expect(client.transport.registeredSession != nil)
    }
}
