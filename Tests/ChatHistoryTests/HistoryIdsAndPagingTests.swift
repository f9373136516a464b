// HistoryIdsAndPagingTests: what SQLiteHistoryStore promises about ids and
// reads. Ids strictly increase across batches, scopes and reopenings, and are
// never reused, even once the newest rows were deleted; entries come back as
// stored; reads are oldest first and page exactly at the edges (before the
// first id, after the last, limit 1, limits clamped to 1...1000, empty and
// unknown scopes, other scopes' ids skipped); a conversation is found from
// either side.
import ChatCore
import ChatHistory
import Testing

extension ChatHistoryTests {
    @Suite struct IdsAndPaging {
        @Test func idsIncreaseAcrossBatchesAndScopes() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let first = try store.append([
                roomMessage("#a", "1"), roomMessage("#b", "2"),
                HistoryEntry(time: 5, scope: .between("alice", "bob"), sender: "alice", recipient: "bob", trust: .cert, text: "3"),
                roomMessage("#a", "4"),
            ])
            let second = try store.append([roomMessage("#b", "5"), roomMessage("#a", "6")])
            let ids = (first + second).map(\.id)
            #expect(ids.allSatisfy { $0 > 0 })
            #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "ids \(ids)")
            #expect(texts(first + second) == ["1", "2", "3", "4", "5", "6"])
            #expect(try store.append([]).isEmpty)
        }

        @Test func entriesComeBackAsStored() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let scope = HistoryScope.between("Bob", "alice")
            let entries = [
                HistoryEntry(time: 1_700_000_000_123, scope: .room("#x"), sender: "~guest", trust: .tls, text: "héllo 👋 'quotes'; DROP TABLE messages"),
                HistoryEntry(time: 2, scope: .room("#x"), sender: "~plain", trust: .plain, text: ""),
                HistoryEntry(time: 3, scope: scope, sender: "alice", recipient: "Bob", trust: .cert, text: "private"),
            ]
            let stored = try store.append(entries)
            #expect(stored.map { var e = $0; e.id = 0; return e } == entries)
            #expect(try store.messages(in: .room("#x"), .latest, limit: 10) == Array(stored[0...1]))
            #expect(try store.messages(in: scope, .latest, limit: 10) == [stored[2]])
        }

        @Test func idsKeepIncreasingAfterReopening() throws {
            let database = try TemporaryDatabase()
            var store: SQLiteHistoryStore? = try database.open()
            let before = try fill(store!, "#a", count: 3)
            store = nil
            store = try database.open()
            let after = try fill(store!, "#a", count: 2)
            #expect(after[0].id > before[2].id)
            #expect(texts(try store!.messages(in: .room("#a"), .latest, limit: 10)) == ["m0", "m1", "m2", "m0", "m1"])
        }

        @Test func idsAreNotReusedAfterTheNewestRowsWereDeleted() throws {
            let database = try TemporaryDatabase()
            var store: SQLiteHistoryStore? = try database.open()
            let old = try fill(store!, "#a", count: 5)
            #expect(try store!.pruneStep(olderThan: nil, keepPerScope: 0, maximumRows: 100) == 5)
            #expect(try store!.messages(in: .room("#a"), .latest, limit: 10).isEmpty)
            let sameRun = try fill(store!, "#a", count: 1)
            #expect(sameRun[0].id > old[4].id)
            _ = try store!.pruneStep(olderThan: nil, keepPerScope: 0, maximumRows: 100)
            store = nil
            store = try database.open()
            let nextRun = try fill(store!, "#b", count: 1)
            #expect(nextRun[0].id > sameRun[0].id)
        }

        @Test func readsPageExactlyAtTheEdges() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            // #a and #b interleaved, so #a's ids have gaps that belong to #b.
            var a: [HistoryEntry] = []
            for index in 0..<6 {
                a += try store.append([roomMessage("#a", "a\(index)"), roomMessage("#b", "b\(index)")]).prefix(1)
            }
            let room = HistoryScope.room("#a")
            #expect(texts(try store.messages(in: room, .latest, limit: 3)) == ["a3", "a4", "a5"])
            #expect(texts(try store.messages(in: room, .latest, limit: 100)) == (0..<6).map { "a\($0)" })
            #expect(texts(try store.messages(in: room, .before(a[3].id), limit: 2)) == ["a1", "a2"])
            #expect(texts(try store.messages(in: room, .before(a[3].id + 1), limit: 2)) == ["a2", "a3"])
            #expect(try store.messages(in: room, .before(a[0].id), limit: 10).isEmpty)
            #expect(texts(try store.messages(in: room, .before(a[1].id), limit: 10)) == ["a0"])
            #expect(texts(try store.messages(in: room, .after(a[2].id), limit: 2)) == ["a3", "a4"])
            #expect(texts(try store.messages(in: room, .after(a[2].id - 1), limit: 1)) == ["a2"])
            #expect(try store.messages(in: room, .after(a[5].id), limit: 10).isEmpty)
            #expect(texts(try store.messages(in: room, .after(0), limit: 10)) == (0..<6).map { "a\($0)" })
            #expect(texts(try store.messages(in: room, .latest, limit: 1)) == ["a5"])
            #expect(texts(try store.messages(in: room, .before(Int64.max), limit: 1)) == ["a5"])
            #expect(try store.messages(in: .room("#never"), .latest, limit: 10).isEmpty)
            #expect(try store.messages(in: .room("#never"), .after(0), limit: 10).isEmpty)
        }

        @Test func pagingBackVisitsEveryMessageOnce() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let all = try fill(store, "#a", count: 10)
            var seen: [HistoryEntry] = []
            var page = try store.messages(in: .room("#a"), .latest, limit: 3)
            while let oldest = page.first {
                seen = page + seen
                page = try store.messages(in: .room("#a"), .before(oldest.id), limit: 3)
            }
            #expect(seen == all)
            var caughtUp: [HistoryEntry] = []
            var last: Int64 = 0
            while true {
                let next = try store.messages(in: .room("#a"), .after(last), limit: 4)
                guard let newest = next.last else { break }
                caughtUp += next
                last = newest.id
            }
            #expect(caughtUp == all)
        }

        @Test func limitIsClampedToOneThroughOneThousand() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let all = try fill(store, "#a", count: 1_005)
            #expect(try store.messages(in: .room("#a"), .latest, limit: 0) == [all[1_004]])
            #expect(try store.messages(in: .room("#a"), .after(0), limit: -5) == [all[0]])
            #expect(try store.messages(in: .room("#a"), .latest, limit: 5_000) == Array(all[5...]))
            #expect(try store.messages(in: .room("#a"), .after(0), limit: Int.max) == Array(all[..<1_000]))
        }

        @Test func aConversationIsFoundFromEitherSide() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let message = HistoryEntry(time: 1, scope: .between("Alice", "bob"), sender: "Alice", recipient: "bob", trust: .cert, text: "hi")
            let reply = HistoryEntry(time: 2, scope: .between("bob", "Alice"), sender: "bob", recipient: "Alice", trust: .cert, text: "yo")
            let other = HistoryEntry(time: 3, scope: .between("alice", "carol"), sender: "alice", recipient: "carol", trust: .cert, text: "other")
            _ = try store.append([message, reply, other, roomMessage("alice", "a room key is not a conversation")])
            #expect(HistoryScope.between("BOB", "alice") == .conversation("alice", "bob"))
            #expect(texts(try store.messages(in: .between("BOB", "alice"), .latest, limit: 10)) == ["hi", "yo"])
            #expect(texts(try store.messages(in: .conversation("bob", "alice"), .latest, limit: 10)) == ["hi", "yo"])
            #expect(texts(try store.messages(in: .between("carol", "alice"), .latest, limit: 10)) == ["other"])
            #expect(try store.messages(in: .between("bob", "carol"), .latest, limit: 10).isEmpty)
        }
    }
}
