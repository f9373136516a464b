// HistoryRetentionTests: pruneStep deletes by age and by count per room or
// conversation, oldest first, never more than `maximumRows` per call, keeps
// working as new messages arrive (the per-scope counts stay right), and both
// delete statements are index searches (their cost does not grow with the file).
import ChatCore
import ChatHistory
import Testing

extension ChatHistoryTests {
    @Suite struct Retention {
        @Test func pruningByAgeGoesInBoundedStepsOldestFirst() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            try fill(store, "#a", count: 6, prefix: "old-a", time: 100)      // times 100...105
            try fill(store, "#b", count: 4, prefix: "old-b", time: 200)      // times 200...203
            try fill(store, "#a", count: 3, prefix: "new-a", time: 10_000)
            #expect(try store.pruneStep(olderThan: 1_000, keepPerScope: nil, maximumRows: 4) == 4)
            #expect(texts(try store.messages(in: .room("#a"), .latest, limit: 100)) == ["old-a4", "old-a5", "new-a0", "new-a1", "new-a2"])
            #expect(try store.pruneStep(olderThan: 1_000, keepPerScope: nil, maximumRows: 4) == 4)
            #expect(try store.pruneStep(olderThan: 1_000, keepPerScope: nil, maximumRows: 4) == 2)
            #expect(try store.pruneStep(olderThan: 1_000, keepPerScope: nil, maximumRows: 4) == 0)
            #expect(texts(try store.messages(in: .room("#a"), .latest, limit: 100)) == ["new-a0", "new-a1", "new-a2"])
            #expect(try store.messages(in: .room("#b"), .latest, limit: 100).isEmpty)
            // The age limit is exclusive: a message exactly at it stays.
            #expect(try store.pruneStep(olderThan: 10_000, keepPerScope: nil, maximumRows: 4) == 0)
        }

        @Test func pruningByCountKeepsTheNewestOfEachScopeInBoundedSteps() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let a = try fill(store, "#a", count: 10, prefix: "a")
            try fill(store, "#b", count: 3, prefix: "b")
            _ = try store.append([HistoryEntry(time: 1, scope: .between("x", "y"), sender: "x", recipient: "y", trust: .cert, text: "p")])
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 4, maximumRows: 4) == 4)
            #expect(try store.messages(in: .room("#a"), .latest, limit: 100) == Array(a[4...]))
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 4, maximumRows: 4) == 2)
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 4, maximumRows: 4) == 0)
            #expect(try store.messages(in: .room("#a"), .latest, limit: 100) == Array(a[6...]))
            #expect(texts(try store.messages(in: .room("#b"), .latest, limit: 100)) == ["b0", "b1", "b2"])
            // New messages push the oldest out again: the counts followed the deletes.
            try fill(store, "#a", count: 2, prefix: "later")
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 4, maximumRows: 100) == 2)
            #expect(texts(try store.messages(in: .room("#a"), .latest, limit: 100)) == ["a8", "a9", "later0", "later1"])
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 1, maximumRows: 100) == 3 + 2)
            #expect(texts(try store.messages(in: .between("y", "x"), .latest, limit: 100)) == ["p"])
        }

        @Test func ageAndCountShareOneBudget() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            try fill(store, "#a", count: 3, prefix: "old", time: 1)
            try fill(store, "#a", count: 6, prefix: "new", time: 5_000)
            #expect(try store.pruneStep(olderThan: 1_000, keepPerScope: 2, maximumRows: 5) == 5)
            #expect(texts(try store.messages(in: .room("#a"), .latest, limit: 100)) == ["new2", "new3", "new4", "new5"])
            #expect(try store.pruneStep(olderThan: 1_000, keepPerScope: 2, maximumRows: 5) == 2)
            #expect(texts(try store.messages(in: .room("#a"), .latest, limit: 100)) == ["new4", "new5"])
        }

        @Test func nothingToDoDeletesNothing() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            try fill(store, "#a", count: 3)
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: nil, maximumRows: 10) == 0)
            #expect(try store.pruneStep(olderThan: 1_000_000, keepPerScope: 0, maximumRows: 0) == 0)
            #expect(try store.messages(in: .room("#a"), .latest, limit: 10).count == 3)
        }

        @Test func pruningStatementsSearchAnIndex() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let byAge = try store.queryPlan(of: .pruneByAge)
            let byCount = try store.queryPlan(of: .pruneByCount)
            print("plan pruneByAge:\n\(byAge)\nplan pruneByCount:\n\(byCount)")
            #expect(byAge.contains("USING COVERING INDEX messages_by_time (time<?)"))
            #expect(byCount.contains("USING COVERING INDEX messages_by_scope (scope=?)"))
            #expect(!byAge.contains("SCAN") && !byCount.contains("SCAN"))
            let overfull = try store.queryPlan(of: .overfullScopes)
            #expect(overfull.contains("scopes_by_count (message_count>?)") && !overfull.contains("SCAN"), "\(overfull)")
        }

        @Test func aVersionOneFileIsMigratedKeepingItsMessages() throws {
            let database = try TemporaryDatabase()
            var store: SQLiteHistoryStore? = try database.open()
            let stored = try fill(store!, "#a", count: 3)
            store = nil
            let raw = try RawDatabase(database.path)  // make it what version 1 wrote
            try raw.execute("DROP INDEX scopes_by_count; PRAGMA user_version = 1")
            store = try database.open()
            #expect(try store!.messages(in: .room("#a"), .latest, limit: 10) == stored)
            #expect(try store!.queryPlan(of: .overfullScopes).contains("scopes_by_count"))
        }
    }
}
