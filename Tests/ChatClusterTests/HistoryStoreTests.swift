// HistoryStoreTests: JetStreamHistoryStore keeps the promises of ChatCore's
// HistoryStore (and SQLiteHistoryStore's behaviour) on a real nats-server:
// ids come from the stream sequences and strictly increase across batches, scopes
// and stores; entries come back as stored; reads are oldest first and page
// exactly at the edges; paging back and catching up visit every message
// once; limits are clamped to 1...1000 and a page of 500 is quick;
// conversations are found from either side; two stores writing the same room
// at once read back one history; marks survive reopening; retention is the
// stream's, counting stored messages (each one or more entries).
@testable import ChatCluster
import ChatCore
import ChatNet
import Foundation
@testable import NATSClient
import Testing

@Suite(.serialized) struct HistoryStoreTests {
    @Test func idsIncreaseAcrossBatchesAndScopesAndEntriesComeBackAsStored() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let scope = HistoryScope.between("Bob", "alice")
        let first = try probe.append(store, [
            HistoryEntry(time: 1_700_000_000_123, scope: .room("#x"), sender: "~guest", trust: .tls, text: "héllo 👋 'quotes'"),
            HistoryEntry(time: 2, scope: .room("#y"), sender: "~plain", trust: .plain, text: ""),
            HistoryEntry(time: 3, scope: scope, sender: "alice", recipient: "Bob", trust: .cert, text: "private"),
            roomMessage("#x", "4"),
        ])
        let second = try probe.append(store, [roomMessage("#y", "5"), roomMessage("#x", "6")])
        let ids = (first + second).map(\.id)
        #expect(ids.allSatisfy { $0 > 0 } && zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "ids \(ids)")
        #expect(texts(first + second) == ["héllo 👋 'quotes'", "", "private", "4", "5", "6"])
        #expect(try probe.append(store, []).isEmpty)
        #expect(try probe.read(store, .room("#x"), .latest, limit: 10) == [first[0], first[3], second[1]])
        #expect(try probe.read(store, scope, .latest, limit: 10) == [first[2]])
        #expect(try probe.read(store, .between("ALICE", "bob"), .after(0), limit: 10) == [first[2]])
    }

    @Test func readsPageExactlyAtTheEdges() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        var a: [HistoryEntry] = []
        for index in 0..<6 {  // #a and #b interleaved: #a's ids have gaps that belong to #b
            a += try probe.append(store, [roomMessage("#a", "a\(index)"), roomMessage("#b", "b\(index)")]).prefix(1)
        }
        let room = HistoryScope.room("#a")
        #expect(texts(try probe.read(store, room, .latest, limit: 3)) == ["a3", "a4", "a5"])
        #expect(texts(try probe.read(store, room, .latest, limit: 100)) == (0..<6).map { "a\($0)" })
        #expect(texts(try probe.read(store, room, .before(a[3].id), limit: 2)) == ["a1", "a2"])
        #expect(texts(try probe.read(store, room, .before(a[3].id + 1), limit: 2)) == ["a2", "a3"])
        #expect(try probe.read(store, room, .before(a[0].id), limit: 10).isEmpty)
        #expect(texts(try probe.read(store, room, .before(a[1].id), limit: 10)) == ["a0"])
        #expect(texts(try probe.read(store, room, .after(a[2].id), limit: 2)) == ["a3", "a4"])
        #expect(texts(try probe.read(store, room, .after(a[2].id - 1), limit: 1)) == ["a2"])
        #expect(try probe.read(store, room, .after(a[5].id), limit: 10).isEmpty)
        #expect(texts(try probe.read(store, room, .after(0), limit: 10)) == (0..<6).map { "a\($0)" })
        #expect(texts(try probe.read(store, room, .latest, limit: 1)) == ["a5"])
        #expect(texts(try probe.read(store, room, .before(Int64.max), limit: 1)) == ["a5"])
        #expect(texts(try probe.read(store, room, .before(a[5].id + 1), limit: 1)) == ["a5"])
        #expect(try probe.read(store, .room("#never"), .latest, limit: 10).isEmpty)
        #expect(try probe.read(store, .room("#never"), .before(5), limit: 10).isEmpty)
        #expect(try probe.read(store, .room("#never"), .after(0), limit: 10).isEmpty)
    }

    @Test func pagingBackAndCatchingUpVisitEveryMessageOnce() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let all = try probe.fill(store, "#a", count: 10)
        var seen: [HistoryEntry] = []
        var page = try probe.read(store, .room("#a"), .latest, limit: 3)
        while let oldest = page.first {
            seen = page + seen
            page = try probe.read(store, .room("#a"), .before(oldest.id), limit: 3)
        }
        #expect(seen == all)
        var caughtUp: [HistoryEntry] = []
        var last: Int64 = 0
        while let newest = try probe.read(store, .room("#a"), .after(last), limit: 4).last.map({ $0 }) {
            caughtUp += try probe.read(store, .room("#a"), .after(last), limit: 4)
            last = newest.id
        }
        #expect(caughtUp == all)
    }

    @Test func limitIsClampedAndALargePageIsQuick() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore(storage: .memory)
        let all = try probe.fill(store, "#a", count: 1_005)
        #expect(try probe.read(store, .room("#a"), .latest, limit: 0) == [all[1_004]])
        #expect(try probe.read(store, .room("#a"), .after(0), limit: -5) == [all[0]])
        let started = MonotonicClock.now()
        #expect(try probe.read(store, .room("#a"), .latest, limit: 500) == Array(all[505...]))
        let elapsed = Duration.nanoseconds(Int64(MonotonicClock.now() - started))
        #expect(elapsed < .seconds(5), "a page of 500 took \(elapsed)")
        #expect(try probe.read(store, .room("#a"), .latest, limit: 5_000) == Array(all[5...]))
        #expect(try probe.read(store, .room("#a"), .after(0), limit: Int.max) == Array(all[..<1_000]))
    }

    @Test func twoStoresWritingOneRoomAtOnceReadBackOneHistory() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let loop = try EventLoop()
        let one = try ClusterProbe(urls: cluster.urls, loop: loop)
        let two = try ClusterProbe(urls: cluster.urls, loop: loop)
        defer {
            two.client.close()
            one.finish()  // runs the shared loop until both clients' sockets are released
        }
        let storeOne = try one.openStore(), storeTwo = try two.openStore()
        var results: [Result<[HistoryEntry], HistoryError>] = []
        for round in 0..<20 {  // both in flight at once on one subject: neither waits for nor refuses the other
            storeOne.append([roomMessage("#r", "one-\(round)"), roomMessage("#r", "one-\(round)b")]) { results.append($0) }
            storeTwo.append([roomMessage("#r", "two-\(round)")]) { results.append($0) }
            let expected = (round + 1) * 2
            #expect(one.run { results.count == expected })
        }
        let stored = try results.flatMap { try $0.get() }.sorted { $0.id < $1.id }
        #expect(stored.count == 60)
        #expect(try one.read(storeOne, .room("#r"), .latest, limit: 100) == stored)
        #expect(try two.read(storeTwo, .room("#r"), .latest, limit: 100) == stored)
        var pagedBack: [HistoryEntry] = []
        var page = try two.read(storeTwo, .room("#r"), .latest, limit: 7)
        while let oldest = page.first {
            pagedBack = page + pagedBack
            page = try two.read(storeTwo, .room("#r"), .before(oldest.id), limit: 7)
        }
        #expect(pagedBack == stored)
    }

    @Test func certificateOnlyMarksSurviveReopeningAndAgeLimits() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore { $0.maximumAge = .seconds(3600) }
        #expect(try store.certificateOnlyRooms().isEmpty)
        for room in ["#Secret", "#a.b*"] {
            let marked = probe.complete { store.markCertificateOnly(room: room, completion: $0) }
            #expect((try? marked?.get()) != nil)
        }
        #expect(try store.certificateOnlyRooms() == ["#secret", "#a.b*"])
        let reopened = try probe.openStore { $0.maximumAge = .seconds(3600) }
        #expect(try reopened.certificateOnlyRooms() == ["#secret", "#a.b*"])
        #expect(try reopened.pruneStep(olderThan: 0, keepPerScope: 0, maximumRows: 100) == 0)
        let other = try probe.openStore(cluster: "other")
        #expect(try other.certificateOnlyRooms().isEmpty)
    }

    @Test func aStoredMessageNoClientCouldHaveSentIsLeftOutOfPages() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let before = try probe.fill(store, "#r", count: 2, prefix: "before")
        // A broken or hostile node stores a text with a line separator (a forged line at clients).
        let forged = Array("c1 1 tls ~eve -\nhi\u{2028}NOTICE forged".utf8)
        let stored = probe.complete { probe.jetStream.publish(store.subjects.historySubject(.room("#r")), payload: forged, completion: $0) }
        #expect((try? stored?.get()) != nil)
        let after = try probe.fill(store, "#r", count: 1, prefix: "after")
        #expect(try probe.read(store, .room("#r"), .latest, limit: 10) == before + after, "the page is read, without the bad message")
    }

    @Test func reloadingTheMarksFindsThoseSetByAnotherStore() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let here = try probe.openStore(), elsewhere = try probe.openStore()
        _ = probe.complete { here.markCertificateOnly(room: "#known", completion: $0) }
        _ = probe.complete { elsewhere.markCertificateOnly(room: "#Late", completion: $0) }
        #expect(try here.certificateOnlyRooms() == ["#known"], "a mark set by another store is not seen without a reload")
        let learned = probe.complete { here.reloadCertificateOnlyMarks(completion: $0) }
        #expect((try? learned?.get()) == ["#late"])
        #expect(try here.certificateOnlyRooms() == ["#known", "#late"])
        let again = probe.complete { here.reloadCertificateOnlyMarks(completion: $0) }
        #expect((try? again?.get()) == [], "nothing new the second time")
    }

    @Test func theStreamsCountLimitEndsTheHistoryWhereItRemovedMessages() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore { $0.maximumMessagesPerScope = 4 }
        var all: [HistoryEntry] = []
        for index in 0..<10 { all += try probe.append(store, [roomMessage("#a", "m\(index)")]) }  // one stream message each
        _ = try probe.fill(store, "#b", count: 2)
        #expect(try probe.read(store, .room("#a"), .latest, limit: 100) == Array(all[6...]))
        #expect(try probe.read(store, .room("#a"), .before(all[8].id), limit: 100) == Array(all[6..<8]))
        #expect(try probe.read(store, .room("#a"), .after(0), limit: 100) == Array(all[6...]))
    }

    @Test func theCountLimitCountsStoredMessagesSoAtLeastThatManyEntriesStay() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore { $0.maximumMessagesPerScope = 2 }
        var batches: [[HistoryEntry]] = []
        for (round, size) in [3, 1, 5, 2].enumerated() {
            batches.append(try probe.append(store, (0..<size).map { roomMessage("#a", "r\(round)-\($0)") }))
        }
        #expect(try probe.read(store, .room("#a"), .latest, limit: 100) == batches[2] + batches[3], "the last two stored messages")
        #expect(try probe.read(store, .room("#a"), .after(0), limit: 100) == batches[2] + batches[3])
    }
}
