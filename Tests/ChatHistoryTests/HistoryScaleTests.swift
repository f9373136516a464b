// HistoryScaleTests: a room of 1,000,000 stored messages is read through the
// index on (scope, first id) (one message per segment: the worst case): EXPLAIN QUERY PLAN must show an index SEARCH bounded by
// the id for paging back and for catch-up (no SCAN), which is what keeps the
// cost per request independent of the room's size; the measured time per
// request is printed for information only (no timing assertion). The room is
// filled with plain SQL in one statement (`bulkFill`). `storeFigures` measures
// bytes per message and append/read times; it runs only with
// TLSCHAT_STORE_FIGURES=1 (meant for `swift test -c release`).
import ChatCore
import ChatHistory
import Foundation
import Testing

extension ChatHistoryTests {
    @Suite struct Scale {
        @Test func aMillionMessageRoomIsReadThroughItsIndex() throws {
            let database = try TemporaryDatabase()
            let filling = ContinuousClock.now
            try bulkFill(database, room: "#big", count: 1_000_000)
            print("bulk fill of 1,000,000 rows: \(ContinuousClock.now - filling)")
            let store = try database.open()
            try fill(store, "#small", count: 10)

            let pageBack = try store.queryPlan(of: .pageBack)
            let catchUp = try store.queryPlan(of: .catchUp)
            print("plan pageBack: \(pageBack)\nplan catchUp: \(catchUp)")
            #expect(pageBack == "SEARCH segments USING INDEX segments_by_scope (scope=? AND rowid<?)")
            #expect(catchUp == "SEARCH segments USING INDEX segments_by_scope (scope=? AND rowid>?)")

            let newest = try store.messages(in: .room("#big"), .latest, limit: 100)
            #expect(newest.count == 100)
            let middle = try #require(newest.last).id - 500_000
            let back = try store.messages(in: .room("#big"), .before(middle), limit: 100)
            #expect(back.map(\.id) == Array(middle - 100..<middle))
            let forward = try store.messages(in: .room("#big"), .after(middle), limit: 100)
            #expect(forward.map(\.id) == Array(middle + 1...middle + 100))
            print("messages(limit: 100) on 1,000,000 rows, debug build: "
                + "latest \(try timePerCall { _ = try store.messages(in: .room("#big"), .latest, limit: 100) }), "
                + "before(middle) \(try timePerCall { _ = try store.messages(in: .room("#big"), .before(middle), limit: 100) })")
        }

        @Test(.enabled(if: ProcessInfo.processInfo.environment["TLSCHAT_STORE_FIGURES"] == "1"))
        func storeFigures() throws {
            let text = String(repeating: "y", count: 100)
            func batch(_ count: Int, from first: Int) -> [HistoryEntry] {
                (0..<count).map { HistoryEntry(time: 1_700_000_000_000 + Int64(first + $0), scope: .room("#bench"),
                                               sender: "alice", trust: .cert, text: text) }
            }
            do {
                let database = try TemporaryDatabase()
                let store = try database.open()
                try store.checkpoint()
                let empty = store.databaseSizeBytes
                for start in stride(from: 0, to: 100_000, by: 1_000) {
                    _ = try store.append(batch(1_000, from: start))
                }
                try store.checkpoint()
                let perMessage = Double(store.databaseSizeBytes - empty) / 100_000
                print("FIGURE bytes per stored 100-byte message (100,000 messages, sender 'alice', after checkpoint): "
                    + String(format: "%.1f", perMessage) + " (file \(store.databaseSizeBytes) bytes)")
            }
            for synchronous in [SQLiteHistoryStore.Synchronous.normal, .full] {
                let database = try TemporaryDatabase()
                let store = try database.open(synchronous)
                let rounds = synchronous == .normal ? 5_000 : 300
                var next = 0
                let one = try timePerCall(rounds) { _ = try store.append(batch(1, from: next)); next += 1 }
                let hundred = try timePerCall(rounds / 10) { _ = try store.append(batch(100, from: next)); next += 100 }
                print("FIGURE append synchronous=\(synchronous): batch of 1 \(one), batch of 100 \(hundred)")
            }
            let database = try TemporaryDatabase()
            try bulkFill(database, room: "#big", count: 1_000_000)
            let store = try database.open()
            let middle = try #require(store.messages(in: .room("#big"), .latest, limit: 1).last).id - 500_000
            print("FIGURE messages(limit: 100) on a 1,000,000-message room: "
                + "latest \(try timePerCall(2_000) { _ = try store.messages(in: .room("#big"), .latest, limit: 100) }), "
                + "before(middle) \(try timePerCall(2_000) { _ = try store.messages(in: .room("#big"), .before(middle), limit: 100) }), "
                + "after(middle) \(try timePerCall(2_000) { _ = try store.messages(in: .room("#big"), .after(middle), limit: 100) })")
        }
    }
}

/// The mean wall-clock and CPU time (this thread) of `rounds` calls of `body`, as
/// "12.3 µs (CPU 10.1 µs)": the CPU figure holds on a loaded machine, the wall one includes waits.
func timePerCall(_ rounds: Int = 200, _ body: () throws -> Void) rethrows -> String {
    func threadCPU() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
    let start = ContinuousClock.now
    let startCPU = threadCPU()
    for _ in 0..<rounds {
        try body()
    }
    let cpu = (threadCPU() - startCPU) / Double(rounds)
    let wall = (ContinuousClock.now - start) / rounds
    let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
    return String(format: "%.1f µs (CPU %.1f µs)", wallSeconds * 1e6, cpu * 1e6)
}

/// Adds `count` messages of 100 bytes to `room` with one INSERT ... SELECT in one transaction,
/// each in a segment of its own (the worst case for reads: one row per message, as commits of
/// one message each would leave them)
/// (seconds, where a million appends would take minutes in a debug build). The store creates
/// the room's row first (one message), so the rows get ids above it and the room's count is kept.
func bulkFill(_ database: TemporaryDatabase, room: String, count: Int) throws {
    try fill(database.open(), room, count: 1)
    let raw = try RawDatabase(database.path)
    let scope = try raw.integer("SELECT id FROM scopes WHERE kind = 'room' AND name = '\(room)'")
    try raw.execute("""
        BEGIN;
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(count))
        INSERT INTO segments (first_id, scope, time, count, body)
            SELECT (SELECT max(first_id) FROM segments) + i, \(scope), 1700000000000 + i, 1,
                   'alice cert - \(String(repeating: "x", count: 100))' || char(10) FROM n;
        UPDATE scopes SET message_count = message_count + \(count) WHERE id = \(scope);
        COMMIT;
        PRAGMA wal_checkpoint(TRUNCATE);
        """)
}
