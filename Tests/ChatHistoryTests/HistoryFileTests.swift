// HistoryFileTests: the database file at start and under a full disk. Files
// are created 0600 (database, -wal, -shm, lock file) even under umask 022; a
// file of a newer schema, a garbage file, another program's SQLite file, a
// path that cannot be opened and a database held by another store are each
// refused with one line naming the file; a file size limit (RLIMIT_FSIZE,
// SIGXFSZ ignored: a full disk without mounting anything) turns an append
// into `.full` with nothing stored, and appends work again once it is raised;
// a batch failing halfway (not rolled back by SQLite itself) stores nothing.
import ChatCore
import ChatHistory
import Foundation
import Testing

extension ChatHistoryTests {
    @Suite struct Files {
        @Test func filesAreCreatedPrivate() throws {
            let database = try TemporaryDatabase()
            let previous = umask(0o022)
            defer { umask(previous) }
            let store = try database.open()
            try fill(store, "#a", count: 3)
            #expect(database.mode() == 0o600)
            #expect(database.mode("-wal") == 0o600)
            #expect(database.mode("-shm") == 0o600)
            #expect(database.mode(".lock") == 0o600)
        }

        @Test func aNewerSchemaIsRefused() throws {
            let database = try TemporaryDatabase()
            _ = try database.open()
            try RawDatabase(database.path).execute("PRAGMA user_version = 99")
            let error = try #require(database.openingError())
            #expect(error.kind == .newerSchema)
            #expect(error.description.contains(database.path))
            #expect(error.description.contains("version 99") && error.description.contains("version 6 "))
            print("newer schema: \(error)")
        }

        @Test func aGarbageFileIsRefusedAsCorrupt() throws {
            let database = try TemporaryDatabase()
            try Data(repeating: 0x5A, count: 8_192).write(to: URL(fileURLWithPath: database.path))
            let error = try #require(database.openingError())
            #expect(error.kind == .corrupt)
            #expect(error.description.contains(database.path))
            #expect(!error.description.contains("\n"))
            print("garbage: \(error)")
        }

        @Test func anotherProgramsDatabaseIsRefused() throws {
            let database = try TemporaryDatabase()
            try RawDatabase(database.path).execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER)")
            let error = try #require(database.openingError())
            #expect(error.kind == .failed)
            #expect(error.description.contains("another program"))
            // Header bytes 18-19 are 2 once a file is switched to WAL mode (1: rollback journal).
            let header = try [UInt8](Data(contentsOf: URL(fileURLWithPath: database.path)).prefix(20))
            #expect(header[18] == 1 && header[19] == 1, "another program's file was switched to WAL mode")
            print("other program: \(error)")
        }

        @Test func aPathThatCannotBeOpenedIsRefused() throws {
            let database = try TemporaryDatabase()
            try FileManager.default.createDirectory(atPath: database.path, withIntermediateDirectories: false)
            let error = try #require(database.openingError())
            #expect(error.kind == .failed)
            #expect(error.description.contains(database.path) && error.description.contains("Is a directory"))
            print("directory: \(error)")
        }

        @Test(.enabled(if: getuid() != 0, "root reads any file"))
        func anUnreadableFileIsRefused() throws {
            let database = try TemporaryDatabase()
            _ = try database.open()
            chmod(database.path, 0)
            let error = try #require(database.openingError())
            #expect(error.kind == .failed)
            #expect(error.description.contains("Permission denied"))
        }

        @Test func aSecondStoreOnTheSameFileIsRefusedAsLocked() throws {
            let database = try TemporaryDatabase()
            var first: SQLiteHistoryStore? = try database.open()
            try fill(first!, "#a", count: 1)
            let error = try #require(database.openingError())
            #expect(error.kind == .locked)
            #expect(error.description.contains("in use by another tlschatd (pid \(getpid()))"))
            #expect(error.description.contains(database.path))
            print("locked: \(error)")
            try fill(first!, "#a", count: 1)   // the refused second open did not disturb the first
            first = nil
            let reopened = try database.open()
            #expect(try reopened.messages(in: .room("#a"), .latest, limit: 10).count == 2)
        }

        @Test func aFailedBatchStoresNothingAndTheNextAppendWorks() throws {
            let database = try TemporaryDatabase()
            var store: SQLiteHistoryStore? = try database.open()
            try fill(store!, "#a", count: 1, prefix: "first")
            store = nil
            // An error in the middle of a batch that SQLite does not roll back by itself
            // (RAISE(ABORT) undoes only the failing statement): the store must.
            try RawDatabase(database.path).execute("""
                CREATE TRIGGER poison BEFORE INSERT ON segments WHEN NEW.body LIKE '% poison' || char(10)
                BEGIN SELECT RAISE(ABORT, 'poisoned message'); END
                """)
            store = try database.open()
            let error = #expect(throws: HistoryError.self) {
                try store!.append([roomMessage("#a", "kept?"), roomMessage("#new", "kept?"), roomMessage("#a", "poison")])
            }
            #expect(error?.kind == .failed && error?.description.contains("poisoned message") == true)
            print("failed batch: \(error.map(String.init(describing:)) ?? "-")")
            let next = try store!.append([roomMessage("#a", "second"), roomMessage("#new", "third")])
            store = nil
            store = try database.open()
            let roomA = texts(try store!.messages(in: .room("#a"), .latest, limit: 10))
            #expect(roomA == ["first0", "second"])
            #expect(try store!.messages(in: .room("#new"), .latest, limit: 10) == [next[1]])
        }

        @Test func aFullDiskFailsTheBatchAndStorageResumesWhenSpaceReturns() throws {
            let database = try TemporaryDatabase()
            var store: SQLiteHistoryStore? = try database.open()
            let before = try fill(store!, "#a", count: 3, prefix: "before")
            try store!.checkpoint()
            let big = String(repeating: "x", count: 100_000)
            // About 10 MB, in a room that is new: its scope row is rolled back with the batch.
            let batch = (0..<100).map { roomMessage("#fresh", big + "\($0)") }

            let previousHandler = signal(SIGXFSZ, SIG_IGN)
            var original = rlimit()
            getrlimit(RLIMIT_FSIZE_RESOURCE, &original)
            var limited = original
            limited.rlim_cur = 8 << 20
            #expect(setrlimit(RLIMIT_FSIZE_RESOURCE, &limited) == 0)
            let failure: HistoryError?
            let smallDuringLimit: [HistoryEntry]?
            do {
                defer {
                    setrlimit(RLIMIT_FSIZE_RESOURCE, &original)
                    signal(SIGXFSZ, previousHandler)
                }
                failure = #expect(throws: HistoryError.self) { try store!.append(batch) }
                // Small appends still fit under the limit: the store was left usable.
                smallDuringLimit = try? store!.append([roomMessage("#a", "during")])
            }
            #expect(failure?.kind == .full)
            #expect(failure?.description.contains(database.path) == true)
            print("full: \(failure.map(String.init(describing:)) ?? "-")")
            #expect(smallDuringLimit?.count == 1)
            #expect(try store!.messages(in: .room("#fresh"), .latest, limit: 1_000).isEmpty)

            let after = try store!.append(batch)
            #expect(after.count == 100 && after[0].id > before[2].id)
            store = nil
            store = try database.open()
            #expect(try store!.messages(in: .room("#fresh"), .latest, limit: 1_000) == after)
            #expect(texts(try store!.messages(in: .room("#a"), .latest, limit: 1_000)) == ["before0", "before1", "before2", "during"])
        }
    }
}

#if canImport(Glibc)
private let RLIMIT_FSIZE_RESOURCE = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
#else
private let RLIMIT_FSIZE_RESOURCE = RLIMIT_FSIZE
#endif
