// InputTranslatorTests: typed lines map to the right protocol lines, and
// nothing is sent for unknown commands, bad usage, control characters or
// over-long lines.
import ChatClient
import Testing

@Suite("Input translation")
struct InputTranslatorTests {
    @Test("plain text and slash commands map to chat/1 lines", arguments: [
        ("hello world", "SAY hello world"),
        ("  indented", "SAY   indented"),
        ("//etc/passwd is a path", "SAY /etc/passwd is a path"),
        ("/join #dev", "JOIN #dev"),
        ("/JOIN #Dev", "JOIN #Dev"),
        ("/join bad", "JOIN bad"),
        ("/part", "PART"),
        ("/part #dev", "PART #dev"),
        ("/msg bob hi  there", "MSG bob hi  there"),
        ("/msg #dev hi", "MSG #dev hi"),
        ("/who", "WHO"),
        ("/who #dev", "WHO #dev"),
        ("/rooms", "ROOMS"),
        ("/certonly", "CERTONLY"),
        ("/certonly #Ops", "CERTONLY #Ops"),
        ("/nick carol", "NICK carol"),
        ("/me waves", "SAY /me waves"),
        ("/whoami", "WHOAMI"),
        ("/ping", "PING"),
        ("/ping 42", "PING 42"),
        ("/quit", "BYE"),
        ("/raw HELP", "HELP"),
        ("/raw frob x y", "frob x y"),
    ])
    func mapping(_ typed: String, _ line: String) {
        #expect(InputTranslator.translate(typed) == .send(line))
    }

    @Test("local help, blank lines")
    func localActions() {
        #expect(InputTranslator.translate("/help") == .showHelp)
        #expect(InputTranslator.translate("") == .nothing)
        #expect(InputTranslator.translate("    ") == .nothing)
        #expect(InputTranslator.translate(" \t ") == .nothing)
    }

    @Test("nothing is sent for unknown commands or bad usage", arguments: [
        "/frob", "/join", "/join #a #b", "/msg bob", "/nick", "/me", "/raw", "/rooms x", "/certonly #a #b", "/who #a #b",
    ])
    func invalid(_ typed: String) {
        guard case .invalid = InputTranslator.translate(typed) else {
            Issue.record("\(typed) should be a local error")
            return
        }
    }

    @Test("a control character or an over-long line is refused locally, never sent")
    func unsafeLines() {
        guard case .invalid = InputTranslator.translate("hi\u{1B}[2J") else { Issue.record("ESC accepted"); return }
        guard case .invalid = InputTranslator.translate("a\u{85}b") else { Issue.record("C1 accepted"); return }
        guard case .invalid = InputTranslator.translate("a\u{2028}b") else { Issue.record("U+2028 accepted"); return }
        guard case .invalid = InputTranslator.translate("alice\u{202E}evil") else { Issue.record("bidi override accepted"); return }
        #expect(InputTranslator.translate("tab\tok") == .send("SAY tab\tok"))
        let fits = String(repeating: "é", count: (InputTranslator.maximumLineBytes - 4) / 2)
        #expect(InputTranslator.translate(fits) == .send("SAY " + fits))
        guard case .invalid = InputTranslator.translate(fits + "x") else { Issue.record("too long accepted"); return }
    }

    @Test("the help names every command and every trust marker")
    func helpIsComplete() {
        for word in ["/join", "/part", "/msg", "/who", "/rooms", "/nick", "/me", "/whoami", "/ping", "/quit", "/raw", "/help"] where word != "/help" {
            #expect(InputTranslator.helpText.contains(word))
        }
        #expect(InputTranslator.helpText.contains("alice" + TrustMarker.certificate))
        #expect(InputTranslator.helpText.contains(TrustMarker.anonymous))
        #expect(InputTranslator.helpText.contains(TrustMarker.plaintext))
    }
}
