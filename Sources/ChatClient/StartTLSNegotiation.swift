// StartTLSNegotiation: the client's side of STARTTLS before the TLS handshake
// (tlschat --starttls, PROTOCOL.md section 13), as a pure state machine fed
// the plaintext lines. It waits for the plaintext greeting, asks for STARTTLS
// and decides: upgrade on `OK STARTTLS`, fail on anything else that answers
// it (never continue in plaintext). Events from other members may arrive
// before the reply and are ignored (nothing plaintext is shown: it could have
// been forged). It does not do I/O; tlschat's ServerLink does, and it also
// refuses bytes that follow `OK STARTTLS` before the handshake.

public struct StartTLSNegotiation: Sendable {
    public enum Step: Equatable, Sendable {
        /// Send this line to the server.
        case send(String)
        /// `OK STARTTLS` arrived: start the TLS handshake now, on the same connection.
        case upgrade
        /// Nothing to do yet.
        case wait
        /// Give up: the reason, for the user.
        case fail(String)
    }

    private enum State { case awaitingGreeting, awaitingReply, done }
    private var state = State.awaitingGreeting

    public init() {}

    public mutating func received(line: String) -> Step {
        let words = line.split(separator: " ", omittingEmptySubsequences: false)
        switch state {
        case .awaitingGreeting:
            guard words.count >= 4, words[0] == "HELLO", words[1] == "chat/1" else {
                state = .done
                return .fail("expected a chat/1 plaintext greeting before STARTTLS, got: \(Self.shown(line))")
            }
            guard words[3] == "plain" else {
                state = .done
                return .fail("this port already speaks TLS (the greeting says \(words[3])); drop --starttls")
            }
            state = .awaitingReply
            return .send("STARTTLS")
        case .awaitingReply:
            if line == "OK STARTTLS" {
                state = .done
                return .upgrade
            }
            if words.first == "OK" || words.first == "ERR" {
                state = .done
                let refusal = Self.shown(line)
                return .fail(words.first == "ERR" && line.contains("UNKNOWN_COMMAND")
                             ? "the server does not support STARTTLS (\(refusal))"
                             : "the server refused STARTTLS: \(refusal)")
            }
            return .wait  // an event (another member joined...) before the reply
        case .done:
            return .wait
        }
    }

    /// A server line as the user may see it: terminal-safe and at most 200 characters.
    static func shown(_ line: String) -> String {
        let safe = Sanitizer.forTerminal(line)
        return safe.count > 200 ? String(safe.prefix(200)) + "..." : safe
    }
}
