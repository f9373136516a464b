// NATSEncodingTests: what the client sends (PUB/HPUB, SUB/UNSUB, CONNECT),
// subject and header validation that protects the framing, URL parsing, and
// the reconnect backoff bounds.
import ChatNet
@testable import NATSClient
import Foundation
import Testing

@Suite("NATS encoding, URLs and backoff")
struct NATSEncodingTests {
    @Test("PUB and HPUB carry exact byte counts; the header block counts into the total")
    func publish() {
        #expect(String(decoding: NATSCommandEncoder.publish(subject: "a.b", replyTo: nil, headers: nil, payload: Array("hi".utf8)), as: UTF8.self)
                == "PUB a.b 2\r\nhi\r\n")
        let headers = NATSHeaders([("Nats-Msg-Id", "x")])
        let block = "NATS/1.0\r\nNats-Msg-Id: x\r\n\r\n"
        #expect(String(decoding: NATSCommandEncoder.publish(subject: "s", replyTo: "r", headers: headers, payload: Array("abc".utf8)), as: UTF8.self)
                == "HPUB s r \(block.utf8.count) \(block.utf8.count + 3)\r\n\(block)abc\r\n")
        #expect(String(decoding: NATSCommandEncoder.subscribe(subject: "a.*", queue: "q", sid: 3), as: UTF8.self) == "SUB a.* q 3\r\n")
        #expect(String(decoding: NATSCommandEncoder.unsubscribe(sid: 3, after: 5), as: UTF8.self) == "UNSUB 3 5\r\n")
    }

    @Test("subjects that would break framing or misuse wildcards are refused")
    func subjects() {
        for bad in ["", "a b", "a..b", ".a", "a.", "a\r\nPUB", "a.>.b", "a*", "a.b>"] {
            #expect(throws: NATSError.self) { try NATSCommandEncoder.validate(subject: bad, wildcards: true) }
        }
        for good in ["a", "a.b.c", "a.*.c", "a.>", ">", "$JS.API.INFO"] {
            #expect(throws: Never.self) { try NATSCommandEncoder.validate(subject: good, wildcards: true) }
        }
        #expect(throws: NATSError.invalidSubject("a.*")) { try NATSCommandEncoder.validate(subject: "a.*", wildcards: false) }
    }

    @Test("header names and values that would break the block are refused")
    func headers() {
        #expect(throws: NATSError.self) { try NATSHeaders([("Bad Name", "v")]).validate() }
        #expect(throws: NATSError.self) { try NATSHeaders([("A:B", "v")]).validate() }
        #expect(throws: NATSError.self) { try NATSHeaders([("A", "v\r\nX: y")]).validate() }
        #expect(throws: Never.self) { try NATSHeaders([("Nats-Msg-Id", "abc 1")]).validate() }
    }

    @Test("CONNECT asks for headers and no_responders, with verbose and pedantic off, and the credentials")
    func connectFields() throws {
        let json = NATSConnectFields(name: "n", user: "u", password: "p", token: nil, tlsRequired: true, echo: true).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(object["verbose"] as? Bool == false && object["pedantic"] as? Bool == false)
        #expect(object["headers"] as? Bool == true && object["no_responders"] as? Bool == true)
        #expect(object["user"] as? String == "u" && object["pass"] as? String == "p" && object["auth_token"] == nil)
        #expect(object["tls_required"] as? Bool == true && object["name"] as? String == "n")
    }

    @Test("URLs: schemes, credentials, default port, IPv6, and readable errors")
    func urls() throws {
        let tls = try NATSServerURL.parse("tls://alice:secret@nats.example:4443")
        #expect(tls.requiresTLS && tls.host == "nats.example" && tls.port == 4443)
        #expect(tls.user == "alice" && tls.password == "secret")
        #expect(tls.description == "tls://nats.example:4443")  // no credentials in logs
        let token = try NATSServerURL.parse("nats://tok@127.0.0.1")
        #expect(token.token == "tok" && token.port == 4222 && !token.requiresTLS)
        let v6 = try NATSServerURL.parse("[::1]:5222")
        #expect(v6.host == "::1" && v6.port == 5222 && v6.hostAndPort == "[::1]:5222")
        for bad in ["http://x:1", "nats://:4222", "nats://h:0", "nats://h:x", "nats://[::1"] {
            #expect(throws: NATSError.self) { try NATSServerURL.parse(bad) }
        }
    }

    @Test("reconnect backoff doubles, is capped, and adds bounded jitter")
    func backoff() {
        let base = Duration.milliseconds(100), maximum = Duration.seconds(2), jitter = Duration.milliseconds(50)
        func delay(_ failures: Int, random: UInt64 = 0) -> Duration {
            NATSClient.backoff(failures: failures, base: base, maximum: maximum, jitter: jitter) { bound in
                #expect(bound == jitter.nanoseconds + 1)
                return random
            }
        }
        #expect(delay(0) == .milliseconds(100))
        #expect(delay(1) == .milliseconds(200))
        #expect(delay(3) == .milliseconds(800))
        #expect(delay(10) == .seconds(2))
        #expect(delay(10_000) == .seconds(2))  // no overflow
        #expect(delay(0, random: 50_000_000) == .milliseconds(150))
    }
}
