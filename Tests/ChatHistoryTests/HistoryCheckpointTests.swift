// HistoryCheckpointTests: the WAL is copied back into the database by the
// store's own checkpoint thread, with nobody calling checkpoint(): after a few
// megabytes of appends, the database file itself grows within seconds (a
// deadline, no fixed sleep), and closing the store stops the thread cleanly.
// And what a power failure could take back is never given again: every start
// moves the id counter on by a million (a new database starts at 1).
import ChatCore
import ChatHistory
import Foundation
import Testing

@Suite("ChatHistory checkpoints", .serialized)
struct HistoryCheckpointTests {
    @Test func theWALIsCheckpointedInTheBackground() throws {
        let database = try TemporaryDatabase()
        var store: SQLiteHistoryStore? = try database.open()
        let text = String(repeating: "x", count: 400)
        func fileSize(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        let before = fileSize(database.path)
        for batch in 0..<40 {  // about 2 MB of WAL, in 40 commits, all below SQLite's automatic 1,000 pages
            _ = try store!.append((0..<100).map { roomMessage("#a", "\(batch)-\($0)-" + text) })
        }
        let deadline = Date().addingTimeInterval(10)
        while fileSize(database.path) <= before + 1_000_000 && Date() < deadline { usleep(20_000) }
        #expect(fileSize(database.path) > before + 1_000_000, "the database file did not grow: no checkpoint ran")
        store = nil  // stops the thread; reopening finds every message
        #expect(try database.open().messages(in: .room("#a"), .latest, limit: 1000).count == 1000)
    }

    @Test func aDatabaseOpenedBeforeSkipsEvenWithoutMessages() throws {
        let database = try TemporaryDatabase()
        var store: SQLiteHistoryStore? = try database.open()  // created; ids it gives may be lost unsynced
        store = nil
        let first = try database.open().append([roomMessage("#a", "one")])[0].id
        #expect(first == 1 + SQLiteHistoryStore.idsSkippedAtStart, "only the start that creates the file begins at 1")
        _ = store
    }

    @Test func certificateOnlyMarksAreKept() throws {
        let database = try TemporaryDatabase()
        var store: SQLiteHistoryStore? = try database.open()
        #expect(try store!.certificateOnlyRooms().isEmpty)
        try store!.markCertificateOnly(room: "#secret")
        try store!.markCertificateOnly(room: "#secret")
        _ = try store!.append([roomMessage("#open", "hi")])
        store = nil
        #expect(try database.open().certificateOnlyRooms() == ["#secret"])
    }

    @Test func everyStartSkipsAMillionIds() throws {
        let database = try TemporaryDatabase()
        var store: SQLiteHistoryStore? = try database.open()
        let first = try store!.append([roomMessage("#a", "one")])[0].id
        #expect(first == 1)
        store = nil
        let second = try database.open().append([roomMessage("#a", "two")])[0].id
        #expect(second == first + SQLiteHistoryStore.idsSkippedAtStart + 1)
    }
}
