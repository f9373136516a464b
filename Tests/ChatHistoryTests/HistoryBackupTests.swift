// HistoryBackupTests: what the README's backup advice relies on. Another
// process's reader (the sqlite3 CLI) may read the database while the store
// runs: a `VACUUM INTO` copy holds every committed message and opens as a
// history of its own; a reader holding a read transaction does not block
// appends (WAL), it only keeps a checkpoint from completing until it ends.
import ChatCore
import ChatHistory
import Testing

extension ChatHistoryTests {
    @Suite struct Backup {
        @Test func vacuumIntoCopiesAConsistentHistoryWhileTheStoreRuns() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let stored = try fill(store, "#a", count: 5)
            let copyPath = database.directory + "/backup.sqlite"
            try RawDatabase(database.path).execute("VACUUM INTO '\(copyPath)'")
            try fill(store, "#a", count: 1, prefix: "after-backup")
            let copy = try SQLiteHistoryStore(path: copyPath)
            #expect(try copy.messages(in: .room("#a"), .latest, limit: 10) == stored)
            #expect(try copy.append([roomMessage("#a", "next")])[0].id > stored[4].id)
        }

        @Test func aReaderDoesNotBlockAppendsOnlyTheCheckpoint() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            try fill(store, "#a", count: 3)
            let reader = try RawDatabase(database.path)
            try reader.execute("BEGIN; SELECT count(*) FROM segments;")
            try fill(store, "#a", count: 3, prefix: "while-reading")
            #expect(try store.checkpoint() == false)
            try reader.execute("COMMIT")
            #expect(try store.checkpoint() == true)
            #expect(try store.messages(in: .room("#a"), .latest, limit: 10).count == 6)
        }
    }
}
