// JetStreamTests: the JetStream layer of NATSClient against a real
// nats-server with JetStream on: stream create/update, publish with
// acknowledgement and Nats-Msg-Id de-duplication, reads by sequence and last
// by subject, typed API errors with the server's description, and the
// key-value basics (create-only twice, compare-and-set with a stale
// revision, delete, create after delete).
import ChatNet
import Foundation
@testable import NATSClient
import Testing

extension NATSClientProbe {
    /// Starts an asynchronous call and runs the loop until it completes (nil on timeout).
    func await<T>(_ start: (@escaping (T) -> Void) -> Void) -> T? {
        var outcome: T?
        start { outcome = $0 }
        run { outcome != nil }
        return outcome
    }
}

@Suite("JetStream over NATSClient", .serialized)
struct JetStreamTests {
    @Test("stream create/update, publish with ack and de-duplication, reads by sequence and last by subject")
    func streams() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: [server.url])
        defer { probe.finish() }
        #expect(probe.connect())
        let js = JetStream(client: probe.client)
        var configuration = StreamConfiguration(name: "ROOMS", subjects: ["rooms.>"], maximumAge: .seconds(3600))
        let created = probe.await { js.createOrUpdateStream(configuration, completion: $0) }
        #expect(try created?.get().config.subjects == ["rooms.>"])
        #expect(try created?.get().config.maximumAgeNanoseconds == 3_600_000_000_000)

        let first = probe.await { js.publish("rooms.a", payload: Array("one".utf8), messageID: "m-1", completion: $0) }
        let firstAck = try #require(first).get()
        #expect(firstAck.stream == "ROOMS" && firstAck.sequence == 1 && !firstAck.duplicate)
        let again = probe.await { js.publish("rooms.a", payload: Array("one".utf8), messageID: "m-1", completion: $0) }
        #expect(try again?.get().duplicate == true)
        #expect(try again?.get().sequence == 1)
        var headers = NATSHeaders([("Sender", "alice")])
        headers.append("Sender", "bob")
        _ = probe.await { js.publish("rooms.b", payload: Array("two".utf8), headers: headers, completion: $0) }
        _ = probe.await { js.publish("rooms.a", payload: Array("three".utf8), completion: $0) }

        let bySequence = try #require(probe.await { js.message(stream: "ROOMS", sequence: 2, completion: $0) }).get()
        #expect(bySequence.subject == "rooms.b" && bySequence.payload == Array("two".utf8))
        #expect(bySequence.headers?.values("Sender") == ["alice", "bob"])
        let last = try #require(probe.await { js.lastMessage(stream: "ROOMS", subject: "rooms.a", completion: $0) }).get()
        #expect(last.sequence == 3 && last.payload == Array("three".utf8))

        let missing = probe.await { js.message(stream: "ROOMS", sequence: 99, completion: $0) }
        guard case .failure(.api(404, JetStreamError.noMessageFound, let text))? = missing else {
            Issue.record("expected 'no message found', got \(String(describing: missing))")
            return
        }
        #expect(text.contains("no message found"))

        configuration.subjects = ["rooms.>", "dm.>"]  // same name, new configuration: an update
        let updated = probe.await { js.createOrUpdateStream(configuration, completion: $0) }
        #expect(try updated?.get().config.subjects == ["rooms.>", "dm.>"])
        #expect(try updated?.get().state.messages == 3)

        let noStream = probe.await { js.publish("nowhere.x", payload: [], completion: $0) }
        #expect(noStream.map { if case .failure(.transport(.noResponders)) = $0 { true } else { false } } == true)
    }

    @Test("API errors are typed and carry the server's description")
    func apiErrors() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: [server.url])
        defer { probe.finish() }
        #expect(probe.connect())
        let js = JetStream(client: probe.client)
        let replicated = StreamConfiguration(name: "R3", subjects: ["r3.>"], replicas: 3)  // one server: refused
        let refused = probe.await { js.createOrUpdateStream(replicated, completion: $0) }
        guard case .failure(.api(let code, _, let text))? = refused else {
            Issue.record("expected an API error, got \(String(describing: refused))")
            return
        }
        #expect(code >= 400)
        #expect(text.lowercased().contains("replicas"), "\(text)")
        let unknown = probe.await { js.streamInfo("NOPE", completion: $0) }
        guard case .failure(.api(404, _, let missing))? = unknown else {
            Issue.record("expected stream not found, got \(String(describing: unknown))")
            return
        }
        #expect(missing.contains("stream not found"))
    }

    @Test("key-value: create-only twice fails, a stale revision fails, delete, create after delete")
    func keyValue() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: [server.url])
        defer { probe.finish() }
        #expect(probe.connect())
        let js = JetStream(client: probe.client)
        let bucket = try #require(probe.await { KeyValueBucket.create(name: "names", jetStream: js, completion: $0) }).get()

        let first = try #require(probe.await { bucket.create("alice", Array("node-a".utf8), completion: $0) }).get()
        let second = probe.await { bucket.create("alice", Array("node-b".utf8), completion: $0) }
        guard case .failure(.keyExists("alice", let text))? = second else {
            Issue.record("second create must fail, got \(String(describing: second))")
            return
        }
        #expect(text.contains("wrong last sequence"), "\(text)")
        #expect(try probe.await { bucket.get("alice", completion: $0) }?.get()?.value == Array("node-a".utf8))

        let updated = try #require(probe.await { bucket.update("alice", Array("node-c".utf8), revision: first, completion: $0) }).get()
        #expect(updated > first)
        let stale = probe.await { bucket.update("alice", Array("node-d".utf8), revision: first, completion: $0) }
        guard case .failure(.wrongRevision("alice", first, _))? = stale else {
            Issue.record("a stale revision must fail, got \(String(describing: stale))")
            return
        }
        let currentResult = try #require(probe.await { bucket.get("alice", completion: $0) })
        let current = try #require(try currentResult.get())
        #expect(current.value == Array("node-c".utf8) && current.revision == updated)

        _ = try #require(probe.await { bucket.delete("alice", completion: $0) }).get()
        #expect(try probe.await { bucket.get("alice", completion: $0) }?.get() == nil)
        #expect(try probe.await { bucket.get("never-set", completion: $0) }?.get() == nil)
        let recreated = try #require(probe.await { bucket.create("alice", Array("node-e".utf8), completion: $0) }).get()
        #expect(try probe.await { bucket.get("alice", completion: $0) }?.get()?.revision == recreated)
        #expect(throws: JetStreamError.self) { try KeyValueBucket(name: "bad name", jetStream: js) }
        let badKey = probe.await { bucket.put("a b", [], completion: $0) }
        #expect(badKey.map { if case .failure(.invalidName) = $0 { true } else { false } } == true)
    }
}
