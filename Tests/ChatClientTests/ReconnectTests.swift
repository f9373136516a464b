// ReconnectTests: `tlschat --reconnect` as pure logic: which endings are
// retried (never a certificate or TLS alert, never after our name was taken
// over), the backoff's bounds, and what an interactive session does across a
// lost connection: explain, wait, and restore name and rooms after the next
// greeting without resending unanswered commands. After a replacement it
// waits long and signs in again, and stops when the name is taken back soon
// after it got it back (two clients never take turns replacing each other).
import ChatClient
import Testing

@Suite("Reconnection")
struct ReconnectTests {
    let time = "10:11:12"

    func sent(_ actions: [ClientAction]) -> [String] {
        actions.compactMap { if case .send(let line) = $0 { return line } else { return nil } }
    }

    func output(_ actions: [ClientAction]) -> String {
        actions.compactMap { if case .output(let text) = $0 { return text } else { return nil } }.joined()
    }

    func delay(_ actions: [ClientAction]) -> Int? {
        actions.compactMap { if case .reconnect(let ms) = $0 { return ms } else { return nil } }.first
    }

    func exitStatus(_ actions: [ClientAction]) -> Int32? {
        actions.compactMap { if case .exit(let status) = $0 { return status } else { return nil } }.first
    }

    @Test("restart, network trouble and a hang-up before TLS are retried; certificates and alerts never")
    func retryRules() {
        for cause in [DisconnectCause.serverClosed, .closedWithoutNotify, .reset, .handshakeTimeout,
                      .connectFailed("Connection refused"), .handshakeFailed("TLS handshake: peer closed the connection")] {
            #expect(ReconnectPolicy.shouldRetry(after: cause, lastNotice: nil), "\(cause)")
        }
        #expect(ReconnectPolicy.shouldRetry(after: .serverClosed, lastNotice: "shutdown"))
        for cause in [DisconnectCause.handshakeFailed("certificate verification: hostname mismatch"),
                      .handshakeFailed("certificate verification: certificate has expired"),
                      .handshakeFailed("ssl3_read_bytes: tlsv13 alert certificate required"),
                      .handshakeFailed("error:0A00010B:SSL routines::wrong version number"),
                      .tlsFailure("ssl3_read_bytes: sslv3 alert bad certificate")] {
            #expect(!ReconnectPolicy.shouldRetry(after: cause, lastNotice: nil), "\(cause)")
        }
        #expect(!ReconnectPolicy.shouldRetry(after: .serverSpeaksTLS("it hung up on plaintext"), lastNotice: nil))
        #expect(ReconnectPolicy.shouldRetry(after: .serverClosed, lastNotice: "identity"), "informational: the name was not usable")
    }

    @Test("delays double from 1 s up to 30 s, jittered between half and all of each step, reset by a greeting")
    func backoff() {
        var policy = ReconnectPolicy()
        let highs = (0..<8).map { _ in policy.nextDelay(unit: 0.999_999_9) }
        #expect(zip(highs, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]).allSatisfy { $0 <= $1 && $0 >= $1 - 1 })
        policy.connected()
        #expect(policy.attempts == 0)
        #expect(policy.nextDelay(unit: 0) == 500)
        for _ in 0..<100 { _ = policy.nextDelay(unit: 0) }  // no overflow however long it fails
        #expect(policy.nextDelay(unit: 0) == 15_000)
    }

    /// The greeting and the server's answer to our CAP LS: what was sent after both.
    func greet(_ session: inout InteractiveSession, _ hello: String) -> [ClientAction] {
        let first = session.received(hello, time: time)
        precondition(sent(first) == ["CAP LS"], "\(sent(first))")
        return session.received("OK CAP LS rate=40/20 line=4096 sessions=1", time: time)
    }

    func greetedInTwoRooms() -> InteractiveSession {
        var session = InteractiveSession(columns: 80, reconnect: ReconnectPolicy())
        _ = greet(&session, "HELLO chat/1 tlschatd tls ~guest3 tls #lobby")
        _ = session.received("OK WHOAMI ~guest3 tls tls - #lobby", time: time)
        _ = session.received("OK WHO #lobby 1 ~guest3:tls", time: time)
        for key in Array("/nick carol\r/join #ops\r/join #dev\r/join #ops\r".utf8) { _ = session.typed([key], time: time) }
        _ = session.received("OK NICK ~carol", time: time)
        _ = session.received("OK JOIN #ops 2", time: time)
        _ = session.received("OK JOIN #dev 1", time: time)
        _ = session.received("OK JOIN #ops 2", time: time)
        return session
    }

    @Test("a lost connection is explained, retried after a delay, and the next greeting restores name and rooms")
    func restoresAfterGreeting() {
        var session = greetedInTwoRooms()
        #expect(session.identity.currentRoom == "#ops")
        for key in Array("unanswered\r".utf8) { _ = session.typed([key], time: time) }
        let lost = session.disconnected(.closedWithoutNotify, time: time, jitter: 0)
        #expect(delay(lost) == 500)
        #expect(exitStatus(lost) == nil)
        #expect(output(lost).contains("1 command(s) had no reply"))
        #expect(output(lost).contains("reconnecting in 0.5 s (attempt 1)"))
        #expect(output(lost).hasSuffix("connecting> "))
        for key in Array("typed while away\r".utf8) { _ = session.typed([key], time: time) }
        let again = session.disconnected(.connectFailed("Connection refused"), time: time, jitter: 0)
        #expect(delay(again) == 1_000)
        let greeting = greet(&session, "HELLO chat/1 tlschatd tls ~guest9 tls #lobby")
        // Still in #lobby: no PART; #dev back, then #ops last so it is current; then what was typed.
        #expect(sent(greeting) == ["NICK carol", "JOIN #dev", "JOIN #ops", "SAY typed while away", "WHOAMI", "WHO"])
        #expect(!sent(greeting).contains { $0.contains("unanswered") }, "an unanswered command is never resent")
        #expect(delay(session.disconnected(.reset, time: time, jitter: 0)) == 500, "a greeting resets the backoff")
    }

    @Test("no reconnection after a verification failure, after /quit, or without --reconnect")
    func stopsWhenItShould() {
        var verification = greetedInTwoRooms()
        let failed = verification.disconnected(.handshakeFailed("certificate verification: hostname mismatch"), time: time)
        #expect(exitStatus(failed) == ExitStatus.connectionFailed && delay(failed) == nil)
        #expect(output(failed).contains("not reconnecting"))

        var quitting = greetedInTwoRooms()
        for key in Array("/quit\r".utf8) { _ = quitting.typed([key], time: time) }
        #expect(exitStatus(quitting.disconnected(.serverClosed, time: time)) == ExitStatus.success)

        var plain = InteractiveSession(columns: 80)
        _ = plain.received("HELLO chat/1 tlschatd tls ~guest3 tls #lobby", time: time)
        #expect(exitStatus(plain.disconnected(.serverClosed, time: time)) == ExitStatus.connectionFailed)
    }

    @Test("dropped again before the restore was answered: the rooms are still restored next time")
    func dropDuringRestore() {
        var session = greetedInTwoRooms()
        _ = session.disconnected(.serverClosed, time: time, jitter: 0)
        let first = greet(&session, "HELLO chat/1 tlschatd tls ~guest9 tls #lobby")
        #expect(sent(first).contains("JOIN #ops"))
        _ = session.disconnected(.reset, time: time, jitter: 0)  // before any reply
        let second = greet(&session, "HELLO chat/1 tlschatd tls ~guest10 tls #lobby")
        #expect(sent(second) == ["NICK carol", "JOIN #dev", "JOIN #ops", "WHOAMI", "WHO"], "\(sent(second))")
        _ = session.disconnected(.reset, time: time, jitter: 0)
        _ = session.received("HELLO chat/1 tlschatd tls ~guest11 tls #lobby", time: time)
        _ = session.disconnected(.reset, time: time, jitter: 0)  // after the greeting, before CAP's reply
        let fourth = greet(&session, "HELLO chat/1 tlschatd tls ~guest12 tls #lobby")
        #expect(sent(fourth) == ["NICK carol", "JOIN #dev", "JOIN #ops", "WHOAMI", "WHO"], "\(sent(fourth))")
    }

    @Test("Ctrl-C while waiting to reconnect exits at once")
    func quitWhileAway() {
        var session = greetedInTwoRooms()
        _ = session.disconnected(.serverClosed, time: time, jitter: 0)
        #expect(exitStatus(session.quit(time: time)) == ExitStatus.success)
    }

    @Test("a certificate user is not renamed; a room left before is left again")
    func certificateUser() {
        var identity = SessionIdentity()
        identity.apply(.hello(protocolVersion: "chat/1", server: "tlschatd", transport: "tls", name: "alice", trust: "cert", room: "#lobby"))
        identity.apply(.ok(verb: "PART", details: "#lobby"))
        identity.apply(.ok(verb: "JOIN", details: "#ops 1"))
        var greeted = SessionIdentity()
        greeted.apply(.hello(protocolVersion: "chat/1", server: "tlschatd", transport: "tls", name: "alice", trust: "cert", room: "#lobby"))
        #expect(SessionRestore(identity).commands(after: greeted) == ["PART #lobby", "JOIN #ops"])
    }

    /// A clock the test moves by hand (milliseconds).
    final class ManualClock: @unchecked Sendable {
        var now: UInt64 = 1_000_000
    }

    static let replacedNotice = "NOTICE replaced another connection signed in with your certificate"

    func aliceSession(_ clock: ManualClock) -> InteractiveSession {
        var session = InteractiveSession(columns: 80, reconnect: ReconnectPolicy(clock: { clock.now }))
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: time)
        return session
    }

    @Test("replaced: wait long (1-2 min), sign in again, and a session held since is not given up")
    func replacedRetriesAfterLongWait() {
        let clock = ManualClock()
        var session = aliceSession(clock)
        _ = session.received(Self.replacedNotice, time: time)
        let lost = session.disconnected(.serverClosed, time: time, jitter: 0)
        #expect(exitStatus(lost) == nil, "\(output(lost))")
        #expect(delay(lost) == 60_000)
        #expect(output(lost).contains("another login with your certificate replaced this session"))
        var high = aliceSession(clock)
        _ = high.received(Self.replacedNotice, time: time)
        #expect((119_000...120_000).contains(delay(high.disconnected(.serverClosed, time: time, jitter: 0.999_999)) ?? 0))
        // The server is down while we wait: the long steps go on (doubling), not 1 s.
        #expect(delay(session.disconnected(.connectFailed("Connection refused"), time: time, jitter: 0)) == 120_000)
        // Back in; the other session had ended. Held for 11 minutes, then replaced: start over.
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: time)
        clock.now += 11 * 60_000
        _ = session.received(Self.replacedNotice, time: time)
        let later = session.disconnected(.serverClosed, time: time, jitter: 0)
        #expect(delay(later) == 60_000 && exitStatus(later) == nil, "\(output(later))")
    }

    @Test("replaced again soon after taking the name back: stop for good (exit 3), naming --sessions-per-user")
    func replacedTwiceStops() {
        let clock = ManualClock()
        var session = aliceSession(clock)
        _ = session.received(Self.replacedNotice, time: time)
        _ = session.disconnected(.serverClosed, time: time, jitter: 0)
        clock.now += 90_000
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: time)  // took the name back
        clock.now += 5 * 60_000
        _ = session.received(Self.replacedNotice, time: time)  // and the other client took it back again
        let stopped = session.disconnected(.serverClosed, time: time, jitter: 0)
        #expect(delay(stopped) == nil)
        #expect(exitStatus(stopped) == ExitStatus.connectionFailed)
        #expect(output(stopped).contains("not reconnecting: another session with your certificate took the name back"))
        #expect(output(stopped).contains("--sessions-per-user"))
    }

    @Test("a session that ends otherwise after taking the name back reconnects as usual")
    func replacedThenRestart() {
        let clock = ManualClock()
        var session = aliceSession(clock)
        _ = session.received(Self.replacedNotice, time: time)
        _ = session.disconnected(.serverClosed, time: time, jitter: 0)
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: time)
        _ = session.received("NOTICE shutdown server is shutting down", time: time)
        #expect(delay(session.disconnected(.serverClosed, time: time, jitter: 0)) == 500)
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: time)
        _ = session.received(Self.replacedNotice, time: time)
        #expect(delay(session.disconnected(.serverClosed, time: time, jitter: 0)) == 60_000,
                "the restart's greeting was not a take-over: this replacement is a first one")
    }
}
