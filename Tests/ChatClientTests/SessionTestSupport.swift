// SessionTestSupport: small helpers the interactive-session tests share:
// a session greeted by a server with given capabilities, typing one byte at
// a time or as one chunk (a paste), and reading what the session asked for.
import ChatClient

let testTime = "09:08:07"

/// A session greeted as alice in #lobby (with bob there), after the server answered CAP LS
/// with `capabilities` (nil: the server does not know CAP). The clock starts at `start` ns.
func greetedSession(capabilities: String? = "LS rate=40/20 line=4096 sessions=1", columns: Int = 80,
                    start: UInt64 = 1_000_000_000) -> InteractiveSession {
    var session = InteractiveSession(columns: columns)
    _ = session.tick(now: start)
    let hello = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)
    precondition(sentLines(hello) == ["CAP LS"])
    let reply = capabilities.map { "OK CAP \($0)" } ?? "ERR UNKNOWN_COMMAND unknown command 'CAP'; try HELP"
    precondition(outputText(session.received(reply, time: testTime)).hasSuffix("alice@#lobby> "))
    _ = session.received("OK WHOAMI alice cert tls sha256:ab #lobby", time: testTime)
    _ = session.received("OK WHO #lobby 2 alice:cert bob:cert", time: testTime)
    return session
}

/// Types `text` one byte per read, as a person types.
@discardableResult
func typeByHand(_ text: String, into session: inout InteractiveSession) -> [ClientAction] {
    Array(text.utf8).flatMap { session.typed([$0], time: testTime) }
}

/// Delivers `text` in one read, as a paste arrives.
@discardableResult
func paste(_ text: String, into session: inout InteractiveSession) -> [ClientAction] {
    session.typed(Array(text.utf8), time: testTime)
}

func sentLines(_ actions: [ClientAction]) -> [String] {
    actions.compactMap { if case .send(let line) = $0 { return line } else { return nil } }
}

func outputText(_ actions: [ClientAction]) -> String {
    actions.compactMap { if case .output(let text) = $0 { return text } else { return nil } }.joined()
}
