// NameRulesTests: the name rules of PROTOCOL.md section 3 at their edges, as
// NameRules checks them over UTF-8 bytes: certificate names, anonymous names,
// room names and keys; every non-ASCII scalar is refused (a look-alike such as
// KELVIN SIGN must never pass for "K"), lengths count exactly to the limit,
// and a key lower-cases ASCII capitals only.
import ChatCore
import Testing

@Suite struct NameRulesTests {
    let rules = NameRules(limits: ChatLimits())

    @Test func certificateNames() {
        let longest = String(repeating: "a", count: 32)
        for valid in ["alice", "A", "9lives", "bob.smith", "x_y-z", longest] {
            #expect(rules.isValidCertificateName(valid), "\(valid)")
        }
        for invalid in ["", "-alice", ".a", "_a", longest + "a", "ali ce", "alicé", "\u{212A}elvin", "~alice", "a\u{0}b", "ａ"] {
            #expect(!rules.isValidCertificateName(invalid), "\(invalid)")
        }
    }

    @Test func anonymousNames() {
        let longest = String(repeating: "b", count: 31)
        #expect(rules.anonymousName("carol") == "~carol")
        #expect(rules.anonymousName("~carol") == "~carol")
        #expect(rules.anonymousName("-x.y_") == "~-x.y_")
        #expect(rules.anonymousName(longest) == "~" + longest)
        for invalid in ["", "~", longest + "b", "~~a", "c arol", "carøl", "\u{212A}", "a\u{7F}"] {
            #expect(rules.anonymousName(invalid) == nil, "\(invalid)")
        }
        #expect(rules.isValidAnonymousName("~carol") && rules.isValidAnonymousName("~" + longest))
        for invalid in ["carol", "~", "~" + longest + "b", "~car ol", "~\u{212A}"] {
            #expect(!rules.isValidAnonymousName(invalid), "\(invalid)")
        }
    }

    @Test func roomNamesAndKeys() {
        #expect(rules.roomName("#Dev") == "#dev")
        #expect(rules.roomName("#lobby") == "#lobby")
        #expect(rules.roomName("#" + String(repeating: "r", count: 32)) != nil)
        for invalid in ["dev", "#", "#" + String(repeating: "r", count: 33), "#d ev", "#dév", "#\u{212A}"] {
            #expect(rules.roomName(invalid) == nil, "\(invalid)")
        }
        #expect(NameRules.key("AlIcE-Z") == "alice-z")
        #expect(NameRules.key("alice") == "alice")
        #expect(NameRules.key("ÄÖ\u{212A}K") == "ÄÖ\u{212A}k", "only ASCII capitals change")
    }
}
