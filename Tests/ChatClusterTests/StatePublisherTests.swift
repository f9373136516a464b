// StatePublisherTests: a large state leaves in rounds of at most 512 KiB, one
// loop iteration apart, so one iteration never queues it all on the NATS
// connection; a publish refused for a full buffer is retried (on `.writable`
// or a short timer) without losing or reordering parts; a newer state for
// the same subject replaces what is left of the older. A real EventLoop runs
// the rounds; the publish closure stands in for NATSClient.publish.
@testable import ChatCluster
import ChatNet
import NATSClient
import Testing

@Suite struct StatePublisherTests {
    final class Recorder {
        var published: [(subject: String, serial: Int?, part: Int?)] = []
        var bytes = 0
        var refuse = false
    }

    func publisher(_ loop: EventLoop, _ recorder: Recorder) -> StatePublisher {
        StatePublisher(loop: loop) { subject, payload throws(NATSError) in
            if recorder.refuse { throw .wouldBlock(bufferedBytes: 8 << 20, limit: 8 << 20) }
            let event = PresenceEvent.decode(payload)
            recorder.published.append((subject, event?.serial, event?.part))
            recorder.bytes += payload.count
        }
    }

    @Test func aLargeStateLeavesInRoundsAndInOrder() throws {
        let loop = try EventLoop()
        let recorder = Recorder()
        let sender = publisher(loop, recorder)
        let events = StateChunks.events(node: "n1", serial: 1, users: StateChunksTests.users(8000))
        sender.send(events, to: "presence")
        #expect(recorder.bytes <= StatePublisher.bytesPerRound + StateChunks.maximumPartBytes, "one round at most")
        #expect(recorder.published.count < events.count)
        #expect(try loop.run(for: .seconds(5)) { sender.isIdle })
        #expect(recorder.published.map(\.part) == events.map(\.part), "every part once, in order")
    }

    @Test func aRefusedPublishIsRetriedAndANewerStateReplacesTheRest() throws {
        let loop = try EventLoop()
        let recorder = Recorder()
        let sender = publisher(loop, recorder)
        recorder.refuse = true
        sender.send(StateChunks.events(node: "n1", serial: 1, users: StateChunksTests.users(3000)), to: "presence")
        #expect(recorder.published.isEmpty && !sender.isIdle)
        let newer = StateChunks.events(node: "n1", serial: 2, users: StateChunksTests.users(3000))
        sender.send(newer, to: "presence")
        sender.send(StateChunks.events(node: "n1", serial: 3, users: StateChunksTests.users(2)), to: "node.n7")
        recorder.refuse = false
        sender.resume()  // the client's .writable
        #expect(try loop.run(for: .seconds(5)) { sender.isIdle })
        #expect(recorder.published.filter { $0.subject == "presence" }.allSatisfy { $0.serial == 2 }, "only the newer state")
        #expect(recorder.published.filter { $0.subject == "presence" }.count == newer.count)
        #expect(recorder.published.last?.subject == "node.n7")
    }
}
