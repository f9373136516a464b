// HistoryPagingTests: how JetStreamHistoryStore finds a page without links
// between messages: a sparse room among a busy room pages exactly (latest,
// before the first, before the middle, after) and finds its page start in a
// bounded number of counting probes; a dense room needs at most four; a page
// of 500 of a room interleaved with another stays quick (the figure is
// printed for the README).
@testable import ChatCluster
import ChatCore
import ChatNet
import Foundation
@testable import NATSClient
import Testing

@Suite(.serialized) struct HistoryPagingTests {
    @Test func aSparseRoomAmongABusyOnePagesExactlyWithFewProbes() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore(storage: .memory)
        var sparse: [HistoryEntry] = []
        for index in 0..<10 {  // 10 messages of #sparse, each after 400 of #busy
            _ = try probe.fill(store, "#busy", count: 400, prefix: "b\(index)-")
            sparse += try probe.append(store, [roomMessage("#sparse", "s\(index)")])
        }
        let room = HistoryScope.room("#sparse")
        store.readProbes = 0
        #expect(try probe.read(store, room, .latest, limit: 3) == Array(sparse[7...]))
        #expect(store.readProbes <= 16, "\(store.readProbes) probes for a sparse room")
        #expect(try probe.read(store, room, .latest, limit: 100) == sparse)
        #expect(try probe.read(store, room, .before(sparse[0].id), limit: 10).isEmpty)
        #expect(try probe.read(store, room, .before(sparse[5].id), limit: 2) == Array(sparse[3..<5]))
        #expect(try probe.read(store, room, .before(sparse[5].id + 1), limit: 2) == Array(sparse[4...5]))
        #expect(try probe.read(store, room, .after(sparse[2].id), limit: 3) == Array(sparse[3..<6]))
        #expect(try probe.read(store, room, .after(sparse[9].id), limit: 3).isEmpty)
        store.readProbes = 0
        let busy = try probe.read(store, .room("#busy"), .latest, limit: 50)
        #expect(texts(busy) == (350..<400).map { "b9-\($0)" })
        #expect(store.readProbes <= 4, "\(store.readProbes) probes for a dense room")
    }

    @Test func aPageOf500OfAnInterleavedRoomIsQuick() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        var a: [HistoryEntry] = []
        for round in 0..<20 {  // #a and #b interleaved one to one: 2000 messages
            let batch = (0..<50).flatMap { [roomMessage("#a", "a\(round)-\($0)"), roomMessage("#b", "b\(round)-\($0)")] }
            a += try probe.append(store, batch).filter { $0.scope == .room("#a") }
        }
        for (range, expected) in [(HistoryRange.latest, Array(a[500...])), (.before(a[700].id), Array(a[200..<700])),
                                  (.after(a[100].id), Array(a[101..<601]))] {
            store.readProbes = 0
            let started = MonotonicClock.now()
            #expect(try probe.read(store, .room("#a"), range, limit: 500) == expected)
            let elapsed = Duration.nanoseconds(Int64(MonotonicClock.now() - started))
            print("a page of 500 (\(range)) of an interleaved room: \(elapsed), \(store.readProbes) probes")
            #expect(elapsed < .seconds(2), "a page of 500 took \(elapsed)")
        }
    }
}
