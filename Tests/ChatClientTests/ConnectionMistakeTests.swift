// ConnectionMistakeTests: the client's answers to a user who connects the
// wrong way, as pure logic: HOST:PORT and [IPv6]:PORT read like --port (and a
// different --port is an error naming both), a --plain connection learns
// from the server's bytes (fed one at a time) or its silence and hang-up
// that the port speaks TLS, and a --cert the server never asked for is
// pointed out.
import ChatClient
import Testing

@Suite("Connection mistakes")
struct ConnectionMistakeTests {
    @Test("HOST, HOST:PORT, [IPv6]:PORT, bare IPv6 and --port", arguments: [
        ("localhost", nil, "localhost", 2222),
        ("localhost", 2300, "localhost", 2300),
        ("127.0.0.1:2223", nil, "127.0.0.1", 2223),
        ("127.0.0.1:2223", 2223, "127.0.0.1", 2223),
        ("[::1]:2224", nil, "::1", 2224),
        ("[::1]", 2225, "::1", 2225),
        ("::1", nil, "::1", 2222),
        ("chat.example.test:443", nil, "chat.example.test", 443),
    ] as [(String, Int?, String, Int)])
    func endpoints(_ argument: String, _ port: Int?, _ host: String, _ expectedPort: Int) throws {
        #expect(try ServerEndpoint.parse(argument, port: port) == ServerEndpoint(host: host, port: expectedPort))
    }

    @Test("bad endpoints are refused with the reason", arguments: [
        ("127.0.0.1:2223", 2222, "'127.0.0.1:2223' says 2223 but --port says 2222"),
        ("[::1]:2223", 1, "says 2223 but --port says 1"),
        ("127.0.0.1:", nil, "must be a number 1...65535"),
        ("127.0.0.1:70000", nil, "must be a number 1...65535"),
        ("127.0.0.1:+22", nil, "must be a number"),
        (":2222", nil, "HOST must not be empty"),
        ("[::1", nil, "without closing it"),
        ("[::1]2222", nil, "only :PORT may follow"),
        ("localhost", 0, "--port must be 1...65535"),
    ] as [(String, Int?, String)])
    func badEndpoints(_ argument: String, _ port: Int?, _ message: String) {
        #expect {
            try ServerEndpoint.parse(argument, port: port)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("--plain: a TLS record from the server (an alert or a handshake), fed a byte at a time, is a TLS port")
    func tlsRecordSeen() {
        for first in [UInt8(0x15), 0x16] {
            var check = PlaintextPortCheck()
            #expect(check.received([first]) == nil, "one byte is not enough to tell")
            guard case .serverSpeaksTLS(let evidence)? = check.received([0x03]) else {
                Issue.record("0x\(first) 0x03 not recognised")
                continue
            }
            #expect(evidence.contains("TLS record"))
            #expect(check.probeIsDue() == nil, "the server already said something: no probe")
        }
    }

    @Test("--plain: silence, the probe, then a hang-up is a TLS port; a greeting or a hang-up before the probe is not")
    func silenceAndHangUp() {
        var tls = PlaintextPortCheck()
        #expect(tls.probeIsDue() == "\n\n\n\n\n", "blank lines: ignored by chat/1, not a TLS record")
        #expect(tls.probeIsDue() == nil, "sent once")
        for cause in [DisconnectCause.serverClosed, .reset] {
            guard case .serverSpeaksTLS(let evidence) = tls.explain(cause) else { Issue.record("\(cause)"); continue }
            #expect(evidence.contains("hung up on plaintext"))
        }
        let full = PlaintextPortCheck()  // e.g. a server at its connection limit hangs up at once
        #expect(full.explain(.serverClosed) == .serverClosed)
        var chat = PlaintextPortCheck()
        for byte in Array("HELLO chat/1 tlschatd plain ~guest1 plain #lobby\n".utf8) { #expect(chat.received([byte]) == nil) }
        #expect(chat.probeIsDue() == nil)
        #expect(chat.explain(.serverClosed) == .serverClosed)
        var slowChat = PlaintextPortCheck()  // a slow chat/1 server greets after the probe
        _ = slowChat.probeIsDue()
        _ = slowChat.received(Array("HELLO".utf8))
        #expect(slowChat.explain(.serverClosed) == .serverClosed)
    }

    @Test("--cert that the server never requested: a warning; requested or no --cert: none")
    func unusedCertificate() {
        let warning = UnusedCertificateWarning.text(certificateGiven: true, serverRequestedCertificate: false)
        #expect(warning?.contains("did not ask for a client certificate") == true)
        #expect(warning?.contains("you are anonymous") == true)
        #expect(UnusedCertificateWarning.text(certificateGiven: true, serverRequestedCertificate: true) == nil)
        #expect(UnusedCertificateWarning.text(certificateGiven: false, serverRequestedCertificate: false) == nil)
    }
}
