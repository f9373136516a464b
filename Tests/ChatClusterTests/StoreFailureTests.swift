// StoreFailureTests: how JetStreamHistoryStore and SubjectFeed fail and
// recover when the NATS side goes away: a call made on a closed client
// completes later (never inside the call) with a one-line error; a batch of
// a store without NATS for longer than the failover grace fails at once, one
// made during a shorter outage waits only the rest of the grace; a batch in
// flight fails when its connection stays down past the grace, completes
// (nothing stored twice) when the server is back within it, and fails at
// once when the server answers -ERR (a permission violation); and a feed whose server restarted (its
// consumer gone with it) is repaired by the reconnect alone (heartbeats are
// set far apart so the stall check cannot be what repairs it).
@testable import ChatCluster
import ChatCore
import ChatNet
import Foundation
@testable import NATSClient
import Testing

@Suite(.serialized) struct StoreFailureTests {
    @Test func aCallOnAClosedClientCompletesLaterWithOneLine() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        probe.client.close()
        var appended: Result<[HistoryEntry], HistoryError>?
        var read: Result<[HistoryEntry], HistoryError>?
        store.append([roomMessage("#r", "x")]) { appended = $0 }
        store.messages(in: .room("#r"), .latest, limit: 10) { read = $0 }
        #expect(appended == nil && read == nil, "a completion ran inside the call")
        #expect(probe.run { appended != nil && read != nil })
        for result in [appended, read] {
            guard case .failure(let error)? = result else {
                Issue.record("expected a failure, got \(String(describing: result))")
                continue
            }
            #expect(error.description.contains("closed") && !error.description.contains("\n"), "\(error)")
        }
    }

    @Test func aBatchOfAStoreCutOffLongerThanTheGraceFailsAtOnce() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore { $0.failoverGrace = .milliseconds(500) }
        cluster.nodes[0].kill()
        #expect(probe.run { probe.client.state == .reconnecting })
        probe.run(for: .milliseconds(600)) { false }  // longer than the grace without NATS
        var result: Result<[HistoryEntry], HistoryError>?
        let started = MonotonicClock.now()
        store.append([roomMessage("#r", "x")]) { result = $0 }
        #expect(result == nil, "a completion ran inside the call")
        #expect(probe.run(for: .seconds(5)) { result != nil })
        let elapsed = Duration.nanoseconds(Int64(MonotonicClock.now() - started))
        guard case .failure(let error)? = result else {
            Issue.record("expected a failure, got \(String(describing: result))")
            return
        }
        #expect(elapsed < .milliseconds(100) && error.description.contains("no NATS connection for"), "\(error) after \(elapsed)")
    }

    @Test func aBatchMadeWhileDisconnectedWaitsOnlyTheRestOfTheGrace() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore { $0.failoverGrace = .seconds(1) }
        cluster.nodes[0].kill()
        #expect(probe.run { probe.client.state == .reconnecting })
        var result: Result<[HistoryEntry], HistoryError>?
        let started = MonotonicClock.now()
        store.append([roomMessage("#r", "x")]) { result = $0 }
        #expect(probe.run(for: .seconds(5)) { result != nil })
        let elapsed = Duration.nanoseconds(Int64(MonotonicClock.now() - started))
        guard case .failure(let error)? = result else {
            Issue.record("expected a failure, got \(String(describing: result))")
            return
        }
        #expect(elapsed < .milliseconds(1_100) && error.description.contains("not back within"), "\(error) after \(elapsed)")
    }

    @Test func aBatchInFlightFailsWhenTheConnectionStaysDownPastTheGrace() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore {
            $0.callDeadline = .seconds(30)
            $0.failoverGrace = .seconds(1)
        }
        _ = try probe.fill(store, "#r", count: 1)
        var result: Result<[HistoryEntry], HistoryError>?
        let started = MonotonicClock.now()
        store.append((0..<50).map { roomMessage("#r", "m\($0)") }) { result = $0 }
        cluster.nodes[0].kill()  // while the batch waits for its acknowledgements
        #expect(probe.run(for: .seconds(10)) { result != nil })
        let elapsed = Duration.nanoseconds(Int64(MonotonicClock.now() - started))
        guard case .failure(let error)? = result else {
            Issue.record("expected a failure, got \(String(describing: result)) after \(elapsed)")
            return
        }
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(3), "failed after \(elapsed)")
        #expect(error.description.contains("connection was lost") && error.description.contains("not back within"), "\(error)")
    }

    @Test func aBatchInFlightCompletesWhenItsServerIsBackWithinTheGrace() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore {
            $0.callDeadline = .seconds(10)
            $0.publishTimeout = .seconds(8)  // so the re-publish can only come from the reconnect
        }
        let first = try probe.fill(store, "#r", count: 1)
        var result: Result<[HistoryEntry], HistoryError>?
        let started = MonotonicClock.now()
        store.append((0..<50).map { roomMessage("#r", "n\($0)") }) { result = $0 }
        try cluster.restart(0)  // SIGKILL before the loop sends the batch, then the same server again with its store
        #expect(probe.run(for: .seconds(15)) { result != nil })
        let elapsed = Duration.nanoseconds(Int64(MonotonicClock.now() - started))
        let stored = try #require(try result?.get())
        #expect(probe.reconnects == 1 && elapsed < .seconds(3), "\(probe.reconnects) reconnects, \(elapsed)")
        #expect(try probe.read(store, .room("#r"), .latest, limit: 100) == first + stored)
        let info = probe.complete { probe.jetStream.streamInfo(store.subjects.historyStream, completion: $0) }
        #expect((try? info?.get())?.state.messages == 2, "the first message and the batch's one, each stored once")
    }

    @Test func aBatchFailsAtOnceWhenTheServerRefusesItsPublishWithAnErr() throws {
        let room = ClusterSubjects.token("#closed")
        let cluster = try NATSTestCluster.single(configuration: """
            authorization {
              users = [{user: "chat", password: "secret", permissions: {publish: {deny: ["tlschat.test.history.room.\(room)"]}}}]
            }
            """)
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls) { options in
            options.user = "chat"
            options.password = "secret"
        }
        defer { probe.finish() }
        let store = try probe.openStore { $0.callDeadline = .seconds(30) }
        _ = try probe.fill(store, "#open", count: 1)
        var result: Result<[HistoryEntry], HistoryError>?
        let started = MonotonicClock.now()
        store.append([roomMessage("#open", "fine"), roomMessage("#closed", "refused")]) { result = $0 }
        #expect(probe.run(for: .seconds(10)) { result != nil })
        let elapsed = Duration.nanoseconds(Int64(MonotonicClock.now() - started))
        guard case .failure(let error)? = result else {
            Issue.record("expected a failure, got \(String(describing: result)) after \(elapsed)")
            return
        }
        #expect(elapsed < .seconds(4) && error.description.contains("Permissions Violation"), "\(error) after \(elapsed)")
        let open = try probe.read(store, .room("#open"), .latest, limit: 10)
        #expect(texts(open) == ["m0", "fine"])
        // The failure names what was stored all the same (if its acknowledgement came before the -ERR).
        #expect(error.storedIDs[1] == nil && (error.storedIDs[0] == nil || error.storedIDs[0] == open.last?.id), "\(error.storedIDs)")
    }

    @Test func aFeedIsRepairedByTheReconnectAfterItsServerRestarted() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let record = FeedRecord()
        let feed = probe.feed(store, room: "#r", start: .after(0), record: record, heartbeat: .seconds(60))
        defer { feed.stop() }
        _ = try probe.fillSingly(store, "#r", count: 2)
        #expect(probe.run { record.sequences.count == 2 })
        try cluster.restart(0)
        #expect(probe.run { probe.reconnects == 1 })
        #expect(probe.run { feed.consumerName != nil })
        _ = try probe.fillSingly(store, "#r", count: 2, prefix: "n")
        #expect(probe.run(for: .seconds(10)) { record.sequences.count == 4 })
        #expect(record.texts == ["m0", "m1", "n0", "n1"])
        #expect(record.events.contains { if case .replacing(let why) = $0 { why.contains("reconnected") } else { false } })
    }
}
