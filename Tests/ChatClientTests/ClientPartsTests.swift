// ClientPartsTests: the pure parts behind pacing, splitting, completion and
// alerts, one at a time: CAP LS parsing, the pace kept below the advertised
// rate, the splitter's boundaries (never inside a character, prefer spaces),
// the roster, and what counts as a mention.
import ChatClient
import Foundation
import Testing

@Suite("Client parts: capabilities, pace, splitter, roster, mentions")
struct ClientPartsTests {
    @Test("CAP LS: rate and line are read; unknown tokens and nonsense values are ignored")
    func capabilities() {
        #expect(ServerCapabilities(capabilityListDetails: "LS rate=40/20 line=4096 sessions=1")
                == ServerCapabilities(commandBurst: 40, commandsPerSecond: 20, lineLimit: 4096))
        #expect(ServerCapabilities(capabilityListDetails: "LS future=x rate=3/2.5 line=512")
                == ServerCapabilities(commandBurst: 3, commandsPerSecond: 2.5, lineLimit: 512))
        #expect(ServerCapabilities(capabilityListDetails: "LS rate=0/5 line=-3 rate=x") == .protocolDefaults)
        #expect(ServerCapabilities(capabilityListDetails: "REQ foo") == nil)
    }

    @Test("the pace stays below the advertised rate, however small")
    func pace() {
        #expect(CommandPacer.pace(below: .init(commandBurst: 40, commandsPerSecond: 20, lineLimit: 1)) == .init(burst: 30, perSecond: 18))
        #expect(CommandPacer.pace(below: .init(commandBurst: 2, commandsPerSecond: 1, lineLimit: 1)) == .init(burst: 1, perSecond: 0.9))
        #expect(CommandPacer.pace(below: .init(commandBurst: 1, commandsPerSecond: 0.5, lineLimit: 1)) == .init(burst: 1, perSecond: 0.45))
    }

    @Test("splitting: short lines untouched; parts end after a space; a word longer than a part is cut between characters")
    func splitter() {
        #expect(MessageSplitter.split("SAY hi", lineLimit: 10) == ["SAY hi"])
        #expect(MessageSplitter.split("SAY aaa bbb ccc", lineLimit: 12) == ["SAY aaa bbb ", "SAY ccc"])
        #expect(MessageSplitter.split("SAY abcdefghij", lineLimit: 8) == ["SAY abcd", "SAY efgh", "SAY ij"])
        #expect(MessageSplitter.split("SAY /me waves and waves", lineLimit: 18) == ["SAY /me waves and ", "SAY /me waves"])
        #expect(MessageSplitter.split("MSG bob hello there", lineLimit: 14) == ["MSG bob hello ", "MSG bob there"])
        #expect(MessageSplitter.split("JOIN #averylongroom", lineLimit: 10) == nil, "only messages are split")
    }

    @Test("splitting never tears a character: accents, flags and family emoji stay whole, every part is valid UTF-8")
    func splitterKeepsGraphemes() {
        let text = String(repeating: "e\u{301}🇫🇷👩‍👩‍👧‍👦", count: 20)
        let parts = MessageSplitter.split("SAY " + text, lineLimit: 40)!
        #expect(parts.allSatisfy { $0.utf8.count <= 40 })
        #expect(parts.map { String($0.dropFirst(4)) }.joined() == text)
        #expect(parts.dropLast().allSatisfy { $0.dropFirst(4).count % 3 == 0 }, "whole groups of three characters: \(parts)")
        #expect(MessageSplitter.split("SAY 👩‍👩‍👧‍👦", lineLimit: 10) == nil, "one character longer than a part cannot be split")
    }

    @Test("the roster follows WHO, JOINED, PARTED, RENAMED and message senders; our PART forgets the room")
    func roster() {
        var roster = RoomRoster()
        roster.apply(Reply.ok(verb: "WHO", details: "#dev 2 alice:cert bob:cert"))
        roster.apply(ServerEvent.joined(room: "#dev", name: "~carol", trust: "tls"))
        roster.apply(ServerEvent.message(room: "#dev", from: "dave", trust: "cert", text: "hi"))
        roster.apply(ServerEvent.parted(room: "#dev", name: "BOB", trust: "cert", reason: "quit"))
        roster.apply(ServerEvent.renamed(old: "~carol", new: "~caz", trust: "tls"))
        #expect(roster.names(in: "#dev") == ["alice", "dave", "~caz"])
        roster.apply(Reply.ok(verb: "PART", details: "#dev"))
        #expect(roster.names(in: "#dev").isEmpty)
    }

    @Test("mentions: the name as a word, any ASCII case, an anonymous name with or without ~", arguments: [
        ("alice", "hi alice", true), ("alice", "ALICE: look", true), ("alice", "@alice.", true), ("alice", "ask alice-", true),
        ("alice", "malice", false), ("alice", "alice.b is here", false), ("alice", "alices", false), ("alice", "alice_2", false),
        ("~carol", "carol?", true), ("~carol", "~carol hi", true), ("~carol", "caroline", false),
    ])
    func mentions(name: String, text: String, expected: Bool) {
        #expect(EventFormatter.mentions(text, name: name) == expected)
    }

    @Test("README's command list and key list match /help")
    func readmeMatchesHelp() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        func flat(_ text: some StringProtocol) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let help = InputTranslator.helpText
        let keys = try #require(help.range(of: "Keys:")).lowerBound
        #expect(flat(readme).contains(flat(help[keys...])), "README's key list is /help's")
        let usages = help.split(separator: "\n").filter { $0.hasPrefix("  /") }.map {
            String($0.dropFirst(2).prefix(20)).trimmingCharacters(in: .whitespaces)  // the usage column
        }
        #expect(usages.count == 15)
        for usage in usages { #expect(readme.contains("`\(usage)`"), "README lists \(usage)") }
        for name in InputTranslator.commandNames { #expect(help.contains("  \(name)"), "/help lists \(name)") }
    }
}
