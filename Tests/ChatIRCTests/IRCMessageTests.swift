// IRCMessageTests: the IRC line parser and encoder (tags, prefix, params,
// trailing), the nick mapping, the text rule (formatting stripped, CTCP
// ACTION kept as /me, control characters left for the core to refuse) and
// the size policy.
import ChatIRC
import Testing

@Suite("IRC lines, nicks and text")
struct IRCMessageTests {
    @Test("a line with tags, prefix, middle parameters and a trailing one with spaces parses into its parts")
    func parsesFullLine() throws {
        let message = try #require(IRCMessage.parse(Array("@time=x;+draft/a=b\\sc;flag :nick!u@h privmsg #room :hello  there :)".utf8)))
        #expect(message.tags.map(\.key) == ["time", "+draft/a", "flag"])
        #expect(message.tag("+draft/a") == "b c")
        #expect(message.tag("flag") == "")
        #expect(message.prefix == "nick!u@h")
        #expect(message.command == "PRIVMSG")
        #expect(message.parameters == ["#room", "hello  there :)"])
    }

    @Test("runs of spaces separate parameters; an empty trailing parameter is kept; no command is nil")
    func parsesEdgeCases() throws {
        #expect(IRCMessage.parse(Array("JOIN   #a    key".utf8))?.parameters == ["#a", "key"])
        #expect(IRCMessage.parse(Array("TOPIC #a :".utf8))?.parameters == ["#a", ""])
        #expect(IRCMessage.parse(Array("@a=b".utf8)) == nil)
        #expect(IRCMessage.parse(Array(":prefix".utf8)) == nil)
        #expect(IRCMessage.parse([0x50, 0xFF]) == nil)  // not UTF-8
    }

    @Test("encoding escapes tag values and writes a trailing parameter only when needed or forced")
    func encodes() {
        let message = IRCMessage(tags: [("time", "a;b c\\")], prefix: "srv", command: "PRIVMSG", parameters: ["#a", "hi there"])
        #expect(message.encoded() == "@time=a\\:b\\sc\\\\ :srv PRIVMSG #a :hi there")
        #expect(IRCMessage(command: "NICK", parameters: ["bob"]).encoded() == "NICK bob")
        #expect(IRCMessage(command: "NICK", parameters: ["bob"], forceTrailing: true).encoded() == "NICK :bob")
        #expect(IRCMessage(command: "PART", parameters: ["#a", ""]).encoded() == "PART #a :")
        #expect(IRCMessage.parse(Array(message.encoded().utf8)) == message)
    }

    @Test("nick mapping: ~ becomes ^, . becomes a backquote, both ways, and no anonymous nick can equal a certificate name")
    func nickMapping() {
        #expect(IRCNicks.nick(forName: "~guest1") == "^guest1")
        #expect(IRCNicks.nick(forName: "bob.smith") == "bob`smith")
        #expect(IRCNicks.nick(forName: "~a.b") == "^a`b")
        #expect(IRCNicks.name(forNick: "^a`b") == "~a.b")
        #expect(IRCNicks.name(forNick: "~carol") == "~carol")
        #expect(IRCNicks.name(forNick: "bob.smith") == "bob.smith")
        for name in ["alice", "a.b-c_d", "~x", "~-y.z", "9lives"] {
            #expect(IRCNicks.name(forNick: IRCNicks.nick(forName: name)) == name)
            #expect(IRCNicks.isAnonymous(IRCNicks.nick(forName: name)) == name.hasPrefix("~"))
        }
    }

    @Test("IRC formatting codes are stripped (colour digits included); other control characters stay for the core to refuse")
    func formattingStripped() {
        #expect(IRCText.stripFormatting("\u{2}bold\u{2} \u{3}04,12red\u{3} \u{1D}it\u{1F}u\u{F} \u{4}FF00AA,000000hex\u{16}") == "bold red itu hex")
        #expect(IRCText.stripFormatting("\u{3}5five \u{3},x") == "five ,x")
        #expect(IRCText.chatText(fromIRC: "bell\u{7}") == "bell\u{7}")
        #expect(IRCText.chatText(fromIRC: "\u{1}ACTION waves\u{1}") == "/me waves")
        #expect(IRCText.chatText(fromIRC: "\u{1}VERSION\u{1}") == nil)
        #expect(IRCText.ircText(fromChat: "/me waves") == "\u{1}ACTION waves\u{1}")
    }

    @Test("long text is split at character boundaries within the byte budget")
    func splitsText() {
        let text = String(repeating: "é", count: 300)  // 600 bytes
        let pieces = IRCText.split(text, maximumBytes: 101)
        #expect(pieces.allSatisfy { $0.utf8.count <= 101 })
        #expect(pieces.joined() == text)
        #expect(IRCText.split("short", maximumBytes: 100) == ["short"])
    }

    @Test("the 510-byte rule counts the line after its tags")
    func bodyLength() {
        #expect(IRCLinePolicy.bodyLength(of: Array("PING x".utf8)) == 6)
        #expect(IRCLinePolicy.bodyLength(of: Array("@a=b   PING x".utf8)) == 6)
        #expect(IRCLinePolicy.maximumLineBytes == 4608)
    }

    @Test("server-time values are ISO 8601 UTC with milliseconds")
    func time() {
        #expect(IRCTime.tagValue(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(IRCTime.tagValue(milliseconds: 1_796_000_000_123) == "2026-11-30T00:53:20.123Z")
    }
}
