// HistoryBookkeepingTests: the id counter and the per-room counts are written
// only every `transactionsPerWrite` commits or `rowsPerWrite` rows (and at
// close, and before pruning), never lost: a crash between two writes leaves
// counts that the next start completes from the messages themselves, and ids
// are still never given twice.
import ChatCore
import ChatHistory
import Foundation
import Testing

extension ChatHistoryTests {
    @Suite struct Bookkeeping {
        static let counterSQL = "SELECT value FROM counters WHERE name = 'next_message_id'"
        static func countSQL(_ room: String) -> String { "SELECT message_count FROM scopes WHERE name = '\(room)'" }

        @Test func theCounterAndCountsAreWrittenEveryFewCommitsAndAtClose() throws {
            let database = try TemporaryDatabase()
            var store: SQLiteHistoryStore? = try database.open()
            let raw = try RawDatabase(database.path)  // another connection: sees what was committed
            for index in 0..<(SQLiteHistoryStore.transactionsPerWrite - 1) {
                _ = try store!.append([roomMessage("#a", "m\(index)")])
            }
            #expect(try raw.integer(Self.counterSQL) == 1, "no commit before the 64th wrote the counter")
            #expect(try raw.integer(Self.countSQL("#a")) == 0)
            let last = try store!.append([roomMessage("#a", "last")])[0].id
            #expect(try raw.integer(Self.counterSQL) == last + 1, "the 64th commit wrote it")
            #expect(try raw.integer(Self.countSQL("#a")) == Int64(SQLiteHistoryStore.transactionsPerWrite))
            try fill(store!, "#b", count: SQLiteHistoryStore.rowsPerWrite)
            #expect(try raw.integer(Self.countSQL("#b")) == Int64(SQLiteHistoryStore.rowsPerWrite), "a batch of 4096 rows wrote it")
            _ = try store!.append([roomMessage("#b", "one more")])
            #expect(try raw.integer(Self.countSQL("#b")) == Int64(SQLiteHistoryStore.rowsPerWrite))
            store = nil
            #expect(try raw.integer(Self.countSQL("#b")) == Int64(SQLiteHistoryStore.rowsPerWrite + 1), "closing wrote the rest")
        }

        @Test func aCrashBetweenWritesIsRecountedAtStartAndNoIdIsGivenTwice() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            var ids: [Int64] = []
            for index in 0..<10 { ids += try store.append([roomMessage("#a", "a\(index)")]).map(\.id) }
            for index in 0..<2 { ids += try store.append([roomMessage("#b", "b\(index)")]).map(\.id) }
            // What a kill -9 leaves: the database and its WAL as they are now, nothing written at close.
            let crashed = try TemporaryDatabase()
            for suffix in ["", "-wal"] {
                try FileManager.default.copyItem(atPath: database.path + suffix, toPath: crashed.path + suffix)
            }
            let reopened = try crashed.open()
            #expect(try reopened.pruneStep(olderThan: nil, keepPerScope: 3, maximumRows: 100) == 7, "the counts were completed at start")
            #expect(texts(try reopened.messages(in: .room("#a"), .latest, limit: 100)) == ["a7", "a8", "a9"])
            #expect(try reopened.messages(in: .room("#b"), .latest, limit: 100).count == 2)
            let next = try reopened.append([roomMessage("#a", "after")])[0].id
            #expect(next > ids.max()!)
            _ = store
        }

        @Test func aPruneStepAfterACrashNeverReusesTheIdsItDeleted() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let stored = try fill(store, "#a", count: 5)
            #expect(try store.pruneStep(olderThan: 10_000, keepPerScope: nil, maximumRows: 100) == 5, "every message deleted")
            let crashed = try TemporaryDatabase()
            for suffix in ["", "-wal"] {
                try FileManager.default.copyItem(atPath: database.path + suffix, toPath: crashed.path + suffix)
            }
            let next = try crashed.open().append([roomMessage("#a", "after")])[0].id
            #expect(next == stored[4].id + 1 + SQLiteHistoryStore.idsSkippedAtStart, "the prune step wrote the counter first")
            _ = store
        }
    }
}
