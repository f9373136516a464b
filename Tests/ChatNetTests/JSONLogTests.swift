// JSONLogTests: tlschatd --log-format json writes one JSON object per line
// on standard error, each with time, level, label and message and the
// event's fields at the top level (parsed here with JSONSerialization, every
// line); message contents never appear in the log; --log-level hides less
// severe events, and a --config file's log-level is applied again on reload.
// The handler's escaping is checked directly with control characters.
@testable import ChatServerKit
import Foundation
import Testing

@Suite("JSON logs and log level", .serialized)
struct JSONLogTests {
    func objects(_ log: String) -> [[String: Any]]? {
        var found: [[String: Any]] = []
        for line in log.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                Issue.record("not a JSON object: \(line)")
                return nil
            }
            found.append(object)
        }
        return found
    }

    @Test("--log-format json: every stderr line is a JSON object with time, level, label, message and fields; no message contents")
    func everyLineIsJSON() throws {
        let pki = try ScratchPKI()
        let server = try ServerProcess(["--log-format", "json", "--client-ca", pki.path("ca.pem")], clientCA: false,
                                       certificate: (pki.path("server.pem"), pki.path("server.key")))
        let bob = try pki.sClient(port: server.port, cert: "bob.pem")
        #expect(bob.waitForOutput("HELLO chat/1 tlschatd tls bob cert"))
        bob.send("MSG #lobby secret-words-\u{22}quoted\u{22}\nBYE\n")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("\"disconnected\"") }, "\(server.log)")
        bob.stop(signal: SIGKILL)
        server.stop()
        let log = server.log
        let lines = try #require(objects(log))
        #expect(lines.count >= 4, "\(log)")
        for line in lines {
            for key in ["time", "level", "label", "message"] { #expect(line[key] is String, "no \(key) in \(line)") }
            let time = line["time"] as? String ?? ""
            #expect(time.count == 24 && time.hasSuffix("Z") && time.dropFirst(10).first == "T", "time \(time)")
            #expect(line["label"] as? String == "tlschatd")
        }
        let connected = try #require(lines.first { $0["message"] as? String == "connected" }, "\(log)")
        #expect(connected["level"] as? String == "info")
        #expect(connected["name"] as? String == "bob" && connected["trust"] as? String == "cert", "\(connected)")
        #expect((connected["peer"] as? String)?.hasPrefix("127.0.0.1:") == true, "\(connected)")
        #expect(!log.contains("secret-words"), "a message's content reached the log: \(log)")
    }

    @Test("--log-level warning hides info events; a config's log-level = \"info\" brings them back on reload")
    func levelAndReload() throws {
        let pki = try ScratchPKI()
        let config = pki.path("tlschatd.toml")
        try "log-level = \"warning\"\n".write(toFile: config, atomically: false, encoding: .utf8)
        let server = try ServerProcess(["--config", config, "--client-ca", pki.path("ca.pem")], clientCA: false,
                                       certificate: (pki.path("server.pem"), pki.path("server.key")))
        defer { server.stop() }
        let first = try pki.sClient(port: server.port, cert: "bob.pem")
        #expect(first.waitForOutput("HELLO chat/1"))
        first.stop(signal: SIGKILL)
        try "log-level = \"info\"\n".write(toFile: config, atomically: false, encoding: .utf8)
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("applied=log-level") }, "\(server.log)")
        #expect(!server.log.contains(" info "), "info events at level warning: \(server.log)")
        let second = try pki.sClient(port: server.port, cert: "alice.pem")
        defer { second.stop(signal: SIGKILL) }
        #expect(second.waitForOutput("HELLO chat/1"))
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("name=alice") }, "no info line after the reload: \(server.log)")
    }

    @Test("JSON escaping: quotes, backslashes, newlines and other control characters; nested fields")
    func escaping() throws {
        let line = ServerLogHandler.jsonLine(time: "2026-01-01T00:00:00.000Z", level: .warning, label: "t",
                                             message: "a\"b\\c\nd\u{01}e", metadata: [
                                                 "reason": "x\ty", "time": "forged", "list": ["1", "2"], "nested": ["k": "v"]])
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "a\"b\\c\nd\u{01}e")
        #expect(object["reason"] as? String == "x\ty")
        #expect(object["time"] as? String == "2026-01-01T00:00:00.000Z" && object["field.time"] as? String == "forged")
        #expect(object["list"] as? [String] == ["1", "2"] && (object["nested"] as? [String: String]) == ["k": "v"])
    }
}
