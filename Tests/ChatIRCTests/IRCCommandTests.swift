// IRCCommandTests: a registered IRC user and chat/1 users on one core: messages
// both ways (trust in every prefix, tags when enabled, echo-message), JOIN,
// PART, NAMES, WHO, WHOIS (671, 276, 330), LIST, TOPIC, MODE, NICK, QUIT,
// the error numerics, and the text rule (formatting stripped, control
// characters refused, never relayed raw).
import ChatCore
import ChatIRC
import Testing

@Suite("IRC commands")
struct IRCCommandTests {
    @Test("a channel message goes both ways: IRC PRIVMSG -> chat/1 MSG, chat/1 SAY -> IRC PRIVMSG with the trust in the prefix")
    func messagesBothWays() {
        let core = ChatServerCore()
        let alice = ChatUser(core, cert: "alice")
        let irc = IRCTestClient(core)
        irc.register(nick: "carol")
        _ = alice.take()
        #expect(irc.send("PRIVMSG #lobby :hello from irc").isEmpty)
        #expect(alice.take() == ["MSG #lobby ~carol tls hello from irc"])
        alice.send("SAY hi back")
        #expect(irc.take() == [":alice!cert@tlschat PRIVMSG #lobby :hi back"])
        alice.send("MSG ~carol psst")
        #expect(irc.take() == [":alice!cert@tlschat PRIVMSG ^carol :psst"])
        irc.send("PRIVMSG alice :private")
        #expect(alice.take() == ["PRIV ~carol tls private"])
    }

    @Test("server-time, account-tag and echo-message are applied when enabled")
    func ircv3Tags() {
        let core = ChatServerCore()
        let alice = ChatUser(core, cert: "alice")
        let irc = IRCTestClient(core, cert: "bob")
        irc.register(nick: "bob", caps: "server-time account-tag echo-message message-tags")
        alice.send("SAY tagged")
        #expect(irc.take() == ["@time=2026-11-30T00:53:20.123Z;account=alice :alice!cert@tlschat PRIVMSG #lobby :tagged"])
        #expect(irc.send("PRIVMSG #lobby :mine") == ["@time=2026-11-30T00:53:20.123Z;account=bob :bob!cert@tlschat PRIVMSG #lobby :mine"])
    }

    @Test("one room message to many IRC members is translated once and shared")
    func broadcastShared() throws {
        let core = ChatServerCore()
        let cache = IRCBroadcastCache()
        let alice = ChatUser(core, cert: "alice")
        let first = IRCTestClient(core, cache: cache), second = IRCTestClient(core, cache: cache)
        first.register(nick: "one")
        second.register(nick: "two")
        _ = (first.take(), second.take())
        alice.send("SAY once")
        #expect(first.take() == second.take())
        let shared = try #require(first.transport.messages.last)
        #expect(shared === second.transport.messages.last)
        #expect(shared.isBroadcast)
    }

    @Test("IRC formatting is stripped; other control characters are refused (404), never relayed; CTCP other than ACTION is dropped")
    func textRule() {
        let core = ChatServerCore()
        let alice = ChatUser(core, cert: "alice")
        let irc = IRCTestClient(core)
        irc.register()
        _ = alice.take()
        irc.send("PRIVMSG #lobby :\u{2}bold\u{2} \u{3}4red")
        #expect(alice.take() == ["MSG #lobby ~carol tls bold red"])
        #expect(irc.send("PRIVMSG #lobby :bell\u{7}").commands == ["404"])
        #expect(alice.take().isEmpty)
        irc.send("PRIVMSG #lobby :\u{1}ACTION waves\u{1}")
        #expect(alice.take() == ["MSG #lobby ~carol tls /me waves"])
        alice.send("SAY /me waves back")
        #expect(irc.take() == [":alice!cert@tlschat PRIVMSG #lobby :\u{1}ACTION waves back\u{1}"])
        #expect(irc.send("PRIVMSG alice :\u{1}VERSION\u{1}").isEmpty)
        #expect(alice.take().isEmpty)
    }

    @Test("a chat/1 message longer than one IRC line arrives split, each line within 512 bytes")
    func longMessageSplit() {
        let core = ChatServerCore()
        let alice = ChatUser(core, cert: "alice")
        let irc = IRCTestClient(core)
        irc.register()
        let text = String(repeating: "x", count: 1500)
        alice.send("SAY \(text)")
        let lines = irc.take()
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0.utf8.count + 2 <= 512 })
        #expect(lines.map { $0.split(separator: ":", maxSplits: 2)[1] }.joined() == Substring(text))
    }

    @Test("JOIN echoes JOIN and NAMES; others see JOIN; PART echoes; errors map to numerics")
    func joinAndPart() {
        let core = ChatServerCore()
        let alice = ChatUser(core, cert: "alice")
        alice.send("JOIN #dev")
        let irc = IRCTestClient(core)
        irc.register(nick: "carol")
        _ = alice.take()
        #expect(irc.send("JOIN #Dev") == [":^carol!tls@tlschat JOIN #dev", ":tlschatd 353 ^carol = #dev :alice ^carol",
                                           ":tlschatd 366 ^carol #dev :End of /NAMES list"])
        #expect(alice.take() == ["JOINED #dev ~carol tls"])
        #expect(irc.send("JOIN #dev").isEmpty)  // already there: nothing new
        #expect(irc.send("JOIN bad").commands == ["403"])
        alice.send("PART #dev")
        #expect(irc.take() == [":alice!cert@tlschat PART #dev :part"])
        #expect(irc.send("PART #dev :bye now") == [":^carol!tls@tlschat PART #dev :bye now"])
        #expect(irc.send("PART #dev").commands == ["442"])
        #expect(irc.send("PART #lobby,#lobby").commands == ["PART", "442"])
    }

    @Test("a user who disconnects from several shared rooms is one IRC QUIT; a PART stays a PART; a later return resets it")
    func quitOnce() {
        let core = ChatServerCore()
        let alice = ChatUser(core, cert: "alice")
        alice.send("JOIN #dev")
        let irc = IRCTestClient(core)
        irc.register()
        irc.send("JOIN #dev")
        core.disconnect(alice.session)
        #expect(irc.take() == [":alice!cert@tlschat QUIT :quit"])
        let again = ChatUser(core, cert: "alice")
        again.send("JOIN #dev")
        #expect(irc.take() == [":alice!cert@tlschat JOIN #lobby", ":alice!cert@tlschat JOIN #dev"])
        core.disconnect(again.session)
        #expect(irc.take() == [":alice!cert@tlschat QUIT :quit"])
    }

    @Test("WHOIS shows trust, TLS (671), the certificate fingerprint (276) and the account (330)")
    func whois() {
        let core = ChatServerCore()
        _ = ChatUser(core, cert: "alice")
        let irc = IRCTestClient(core)
        irc.register()
        let reply = irc.send("WHOIS alice")
        #expect(reply.commands == ["311", "319", "312", "320", "671", "276", "330", "318"])
        #expect(reply.contains(":tlschatd 276 ^carol alice :has client certificate fingerprint ab"))
        #expect(reply.contains(":tlschatd 330 ^carol alice alice :is logged in as"))
        let anonymous = irc.send("WHOIS ^carol")
        #expect(anonymous.commands == ["311", "319", "312", "320", "671", "318"])
        #expect(irc.send("WHOIS nobody").commands == ["401", "318"])
    }

    @Test("NAMES, WHO, LIST, TOPIC and MODE answer from the core; unknown commands get 421")
    func queries() {
        let core = ChatServerCore()
        _ = ChatUser(core, cert: "alice")
        let irc = IRCTestClient(core)
        irc.register()
        #expect(irc.send("NAMES #lobby") == [":tlschatd 353 ^carol = #lobby :alice ^carol", ":tlschatd 366 ^carol #lobby :End of /NAMES list"])
        #expect(irc.send("WHO #lobby") == [":tlschatd 352 ^carol #lobby cert tlschat tlschatd alice H :0 certificate user",
                                           ":tlschatd 352 ^carol #lobby tls tlschat tlschatd ^carol H :0 anonymous (TLS, no certificate)",
                                           ":tlschatd 315 ^carol #lobby :End of /WHO list"])
        #expect(irc.send("LIST") == [":tlschatd 321 ^carol Channel :Users  Name", ":tlschatd 322 ^carol #lobby 2 :",
                                     ":tlschatd 323 ^carol :End of /LIST"])
        #expect(irc.send("TOPIC #lobby") == [":tlschatd 331 ^carol #lobby :No topic is set"])
        #expect(irc.send("TOPIC #lobby :new").commands == ["482"])
        #expect(irc.send("TOPIC #nowhere").commands == ["403"])
        #expect(irc.send("MODE #lobby") == [":tlschatd 324 ^carol #lobby +"])
        #expect(irc.send("MODE #lobby b").commands == ["368"])
        #expect(irc.send("MODE #lobby +o alice").commands == ["482"])
        #expect(irc.send("MODE ^carol +i").isEmpty)
        #expect(irc.send("MODE ^carol").commands == ["221"])
        #expect(irc.send("MODE alice").commands == ["502"])
        #expect(irc.send("AWAY :lunch") == [":tlschatd 421 ^carol AWAY :Unknown command"])
        #expect(irc.send("USER x 0 * :y").commands == ["462"])
        #expect(irc.send("PING :lag") == [":tlschatd PONG tlschatd lag"])
    }

    @Test("NICK: an anonymous user renames (others see RENAMED); a cert user cannot; errors are 432/433")
    func nickChanges() {
        let core = ChatServerCore()
        let alice = ChatUser(core, cert: "alice")
        let irc = IRCTestClient(core)
        irc.register(nick: "carol")
        _ = alice.take()
        #expect(irc.send("NICK dora") == [":^carol!tls@tlschat NICK :^dora"])
        #expect(alice.take() == ["RENAMED ~carol ~dora tls"])
        #expect(irc.send("NICK alice.x!").commands == ["432"])
        let other = IRCTestClient(core)
        other.register(nick: "erin")
        #expect(irc.send("NICK erin").commands == ["433"])
        let cert = IRCTestClient(core, cert: "bob")
        cert.register(nick: "bob")
        #expect(cert.send("NICK robert").commands == ["432"])
    }

    @Test("private messages and channel errors: 401 no such nick, 404 not in channel, 412 no text, 407 too many targets")
    func messageErrors() {
        let core = ChatServerCore()
        let alice = ChatUser(core, cert: "alice")
        alice.send("JOIN #dev")
        let irc = IRCTestClient(core)
        irc.register()
        #expect(irc.send("PRIVMSG nobody :hi").commands == ["401"])
        #expect(irc.send("PRIVMSG #dev :hi").commands == ["404"])
        #expect(irc.send("PRIVMSG #lobby :   ").commands == ["412"])
        #expect(irc.send("PRIVMSG #lobby").commands == ["412"])
        #expect(irc.send("PRIVMSG a,b,c,d,e :x").commands == ["407"])
        #expect(irc.send("NOTICE nobody :hi").isEmpty)  // never an automatic reply to a NOTICE
        #expect(irc.send("PRIVMSG ~guest99 :hi").commands == ["401"])
    }

    @Test("the 512-byte rule: a longer line (tags aside) gets 417 and is ignored; past the framer's bound the connection ends")
    func lineLength() {
        let core = ChatServerCore()
        let alice = ChatUser(core, cert: "alice")
        let irc = IRCTestClient(core)
        irc.register()
        _ = alice.take()
        #expect(irc.send("PRIVMSG #lobby :" + String(repeating: "y", count: 494)).isEmpty)  // 510 bytes
        #expect(alice.take().count == 1)
        #expect(irc.send("PRIVMSG #lobby :" + String(repeating: "y", count: 495)).commands == ["417"])
        #expect(alice.take().isEmpty)
        #expect(irc.send("@+a=" + String(repeating: "t", count: 3000) + " PRIVMSG #lobby :tagged").isEmpty)
        #expect(alice.take() == ["MSG #lobby ~carol tls tagged"])
        let tooLong = irc.send(String(repeating: "z", count: IRCLinePolicy.maximumLineBytes + 1))
        #expect(tooLong.first?.hasPrefix("ERROR :Closing link: line longer than") == true)
        #expect(irc.transport.closed)
        #expect(alice.take() == ["PARTED #lobby ~carol tls quit"])
    }

    @Test("QUIT ends the session with ERROR; the chat/1 members see PARTED quit; an idle PING is an IRC PING")
    func quitAndPing() {
        let core = ChatServerCore()
        let alice = ChatUser(core, cert: "alice")
        let irc = IRCTestClient(core)
        irc.register()
        _ = alice.take()
        core.pingIdle(irc.irc.session!, token: "idle-42")
        #expect(irc.take() == [":tlschatd PING :idle-42"])
        #expect(irc.send("QUIT :gone fishing") == ["ERROR :Closing link: ^carol (Quit: gone fishing)"])
        #expect(irc.transport.closed)
        #expect(alice.take() == ["PARTED #lobby ~carol tls quit"])
    }

    @Test("a chat/1 user replacing an IRC session of the same certificate: the IRC client gets a NOTICE and ERROR")
    func replaced() {
        let core = ChatServerCore()
        let irc = IRCTestClient(core, cert: "alice")
        irc.register(nick: "alice")
        _ = ChatUser(core, cert: "alice")
        #expect(irc.take().commands == ["NOTICE", "ERROR"])
        #expect(irc.transport.closed)
    }
}

@Suite("IRC room event translation")
struct IRCEventTranslationTests {
    @Test("the byte-level path for room messages gives exactly what the general path gives", arguments: [0, 1, 2, 3])
    func fastPathMatches(_ variant: Int) throws {
        let info = IRCServerInfo(limits: ChatLimits())
        for line in ["MSG #dev alice cert hello there", "MSG #dev ~bob.x tls hi", "MSG #a b.c plain  two  spaces ",
                     "MSG #dev alice cert " + String(repeating: "é", count: 200)] {
            let fast = try #require(IRCEventTranslator.roomMessageBytes(ArraySlice(line.utf8), variant: variant, userHost: info.userHost,
                                                                       milliseconds: 1_796_000_000_123))
            #expect(String(decoding: fast, as: UTF8.self) == IRCEventTranslator.roomEvent(line, variant: variant, info: info,
                                                                                          milliseconds: 1_796_000_000_123))
        }
        #expect(IRCEventTranslator.roomMessageBytes(ArraySlice("MSG #a b cert /me waves".utf8), variant: variant, userHost: "h", milliseconds: 0) == nil)
        #expect(IRCEventTranslator.roomMessageBytes(ArraySlice(("MSG #a b cert " + String(repeating: "x", count: 600)).utf8),
                                                    variant: variant, userHost: "h", milliseconds: 0) == nil)
        #expect(IRCEventTranslator.roomMessageBytes(ArraySlice("JOINED #a b cert".utf8), variant: variant, userHost: "h", milliseconds: 0) == nil)
    }
}
