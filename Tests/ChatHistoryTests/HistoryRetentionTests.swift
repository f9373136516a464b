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
            #expect(byAge == "SCAN segments", "the oldest ids, walked in rowid order under the LIMIT, never sorted")
            #expect(byCount == "SEARCH segments USING INDEX segments_by_scope (scope=?)")
            let deleting = try store.queryPlan(of: .deleteOldestOfScope)
            #expect(deleting == "SEARCH segments USING INDEX segments_by_scope (scope=? AND rowid<?)", "\(deleting)")
            let overfull = try store.queryPlan(of: .overfullScopes)
            #expect(overfull.contains("scopes_by_count (message_count>?)") && !overfull.contains("SCAN"), "\(overfull)")
        }

        /// A file as tlschatd wrote it at schema `version` (1 or 2): AUTOINCREMENT ids, an index on
        /// time (and from 2 on the index on counts); three messages of #a, ids 1...3, the counter at 500
        /// as if newer messages had been stored and deleted.
        static func oldFile(version: Int, at path: String) throws {
            let raw = try RawDatabase(path)
            try raw.execute("""
                PRAGMA application_id = \(0x544C_4348);
                CREATE TABLE scopes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('room', 'conversation')),
                    name TEXT NOT NULL, peer TEXT NOT NULL DEFAULT '', message_count INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (kind, name, peer));
                CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, scope INTEGER NOT NULL REFERENCES scopes (id),
                    time INTEGER NOT NULL, sender TEXT NOT NULL, recipient TEXT, trust TEXT NOT NULL, text TEXT NOT NULL);
                CREATE INDEX messages_by_scope ON messages (scope);
                CREATE INDEX messages_by_time ON messages (time);
                CREATE VIEW history AS SELECT m.id, s.name AS scope, m.text FROM messages AS m JOIN scopes AS s ON s.id = m.scope;
                \(version >= 2 ? "CREATE INDEX scopes_by_count ON scopes (message_count);" : "")
                INSERT INTO scopes (kind, name, message_count) VALUES ('room', '#a', 3);
                INSERT INTO messages (scope, time, sender, trust, text) VALUES
                    (1, 1000, 'alice', 'cert', 'm0'), (1, 1001, 'alice', 'cert', 'm1'), (1, 1002, 'alice', 'cert', 'm2');
                UPDATE sqlite_sequence SET seq = 500 WHERE name = 'messages';
                PRAGMA user_version = \(version);
                """)
        }

        @Test(arguments: [1, 2]) func anOlderFileIsMigratedKeepingItsMessagesAndIds(version: Int) throws {
            let database = try TemporaryDatabase()
            try Self.oldFile(version: version, at: database.path)
            let store = try database.open()
            let kept = try store.messages(in: .room("#a"), .latest, limit: 10)
            #expect(kept.map(\.id) == [1, 2, 3] && texts(kept) == ["m0", "m1", "m2"])
            let next = try store.append([roomMessage("#a", "after the migration")])[0].id
            #expect(next == 501 + SQLiteHistoryStore.idsSkippedAtStart, "ids go on past the old counter, never reused")
            #expect(try store.queryPlan(of: .overfullScopes).contains("scopes_by_count"))
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 1, maximumRows: 10) == 3, "the counts came along")
            let raw = try RawDatabase(database.path)
            #expect(throws: Never.self) { try raw.execute("SELECT utc, sender FROM history") }
            #expect(throws: (any Error).self, "no index on time any more") { try raw.execute("DROP INDEX messages_by_time") }
        }

        @Test func idsStayUniqueWhenTheNewestMessagesWereDeleted() throws {
            let database = try TemporaryDatabase()
            var store: SQLiteHistoryStore? = try database.open()
            let stored = try fill(store!, "#a", count: 3)
            store = nil
            try RawDatabase(database.path).execute("DELETE FROM segments")  // e.g. by hand, or retention
            let next = try database.open().append([roomMessage("#a", "again")])[0].id
            #expect(next == stored[2].id + 1 + SQLiteHistoryStore.idsSkippedAtStart)
        }
    }
}
