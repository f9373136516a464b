// HistorySegmentTests: the store keeps a run of messages of one scope and one
// commit in one row (a segment): one busy room's batch is one row, runs break
// at a change of scope or time and at 256 messages; pages start and end
// inside segments exactly; the `history` view shows one row per message;
// retention keeps exactly the asked number (trimming the oldest segment
// kept), largest excess first, within its budget; a damaged id near the end
// of the range is an error, not a crash; a
// damaged segment is reported as corrupt, and a message that would break its
// line is refused; a version 5 file (one row per
// message) is migrated keeping every message, id and field.
import ChatCore
import ChatHistory
import Testing

extension ChatHistoryTests {
    @Suite struct Segments {
        /// `count` messages to `room` at one time (as one commit of the server stores them).
        func oneCommit(_ room: String, _ count: Int, prefix: String = "m", time: Int64 = 5_000) -> [HistoryEntry] {
            (0..<count).map { roomMessage(room, "\(prefix)\($0) with spaces", time: time) }
        }

        @Test func aBatchOfOneRoomIsOneRow() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let stored = try store.append(oneCommit("#a", 100))
            #expect(try RawDatabase(database.path).integer("SELECT count(*) FROM segments") == 1)
            #expect(stored.map(\.id) == Array(stored[0].id..<stored[0].id + 100))
            #expect(try store.messages(in: .room("#a"), .latest, limit: 500) == stored)
        }

        @Test func runsBreakAtAChangeOfScopeOrTimeAndAt256Messages() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let batch = [roomMessage("#a", "a0"), roomMessage("#a", "a1"), roomMessage("#b", "b0"), roomMessage("#a", "a2"),
                         roomMessage("#b", "b1"), roomMessage("#b", "b2", time: 2_000)]
            let stored = try store.append(batch)
            #expect(zip(stored, stored.dropFirst()).allSatisfy { $0.id + 1 == $1.id }, "ids follow the batch's order")
            let raw = try RawDatabase(database.path)
            #expect(try raw.integer("SELECT count(*) FROM segments") == 5)
            #expect(texts(try store.messages(in: .room("#a"), .latest, limit: 10)) == ["a0", "a1", "a2"])
            #expect(texts(try store.messages(in: .room("#b"), .latest, limit: 10)) == ["b0", "b1", "b2"])
            #expect(try store.messages(in: .room("#b"), .latest, limit: 10).map(\.time) == [1_000, 1_000, 2_000])

            let long = try store.append(oneCommit("#c", 600))
            #expect(try raw.integer("SELECT count(*) FROM segments") == 5 + 3)
            #expect(try raw.integer("SELECT max(count) FROM segments") == 256)
            #expect(try store.messages(in: .room("#c"), .after(0), limit: 1000) == long)
        }

        @Test func pagesStartAndEndInsideSegments() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let first = try store.append(oneCommit("#a", 10, prefix: "x"))
            let second = try store.append(oneCommit("#a", 5, prefix: "y", time: 6_000))
            let all = first + second
            let room = HistoryScope.room("#a")
            #expect(try store.messages(in: room, .latest, limit: 3) == Array(all.suffix(3)))
            #expect(try store.messages(in: room, .before(all[5].id), limit: 2) == Array(all[3..<5]))
            #expect(try store.messages(in: room, .before(all[12].id), limit: 4) == Array(all[8..<12]), "across two segments")
            #expect(try store.messages(in: room, .after(all[3].id), limit: 4) == Array(all[4..<8]))
            #expect(try store.messages(in: room, .after(all[8].id), limit: 4) == Array(all[9..<13]), "across two segments")
            #expect(try store.messages(in: room, .after(all[9].id), limit: 100) == second, "from a segment's last message")
            #expect(try store.messages(in: room, .after(all[14].id), limit: 10).isEmpty)
            #expect(try store.messages(in: room, .before(all[0].id), limit: 10).isEmpty)
            #expect(try store.messages(in: room, .before(all[0].id + 1), limit: 10) == [all[0]])
            #expect(try store.messages(in: room, .after(.max), limit: 10).isEmpty)
            #expect(try store.messages(in: room, .before(.min), limit: 10).isEmpty)
        }

        @Test func theHistoryViewShowsOneRowPerMessage() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let stored = try store.append([
                roomMessage("#a", "hello  two spaces"), roomMessage("#a", "ünïcode ✓"),
                HistoryEntry(time: 1_000, scope: .between("bob", "alice"), sender: "bob", recipient: "alice", trust: .cert, text: "psst"),
            ])
            let raw = try RawDatabase(database.path)
            #expect(try raw.integer("SELECT count(*) FROM history") == 3)
            #expect(try raw.integer("""
                SELECT count(*) FROM history WHERE id = \(stored[0].id) AND kind = 'room' AND scope = '#a' AND sender = 'alice'
                AND recipient IS NULL AND trust = 'cert' AND text = 'hello  two spaces' AND utc = '1970-01-01T00:00:01.000Z'
                """) == 1)
            #expect(try raw.integer("SELECT count(*) FROM history WHERE id = \(stored[1].id) AND text = 'ünïcode ✓'") == 1)
            #expect(try raw.integer("""
                SELECT count(*) FROM history WHERE id = \(stored[2].id) AND kind = 'conversation' AND sender = 'bob'
                AND recipient = 'alice' AND text = 'psst'
                """) == 1)
        }

        @Test func aMessageThatWouldBreakItsLineIsRefusedAndNothingIsStored() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let bad: [HistoryEntry] = [
                roomMessage("#a", "line\nbreak"), roomMessage("#a", "carriage\rreturn"),
                HistoryEntry(time: 1, scope: .room("#a"), sender: "two words", trust: .cert, text: "x"),
                HistoryEntry(time: 1, scope: .room("#a"), sender: "-", trust: .cert, text: "x"),
                HistoryEntry(time: 1, scope: .room("#a"), sender: "", trust: .cert, text: "x"),
                HistoryEntry(time: 1, scope: .between("a", "b b"), sender: "a", recipient: "b b", trust: .cert, text: "x"),
            ]
            for entry in bad {
                let error = #expect(throws: HistoryError.self) { try store.append([roomMessage("#a", "fine"), entry]) }
                #expect(error?.kind == .failed && error?.description.contains("cannot be stored") == true)
            }
            #expect(try store.messages(in: .room("#a"), .latest, limit: 10).isEmpty)
            #expect(try store.append([roomMessage("#a", "fine")]).count == 1)
        }

        @Test func aDamagedSegmentIsReportedAsCorrupt() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let stored = try store.append(oneCommit("#a", 2) + oneCommit("#b", 1))
            let raw = try RawDatabase(database.path)
            try raw.execute("UPDATE segments SET count = 3 WHERE first_id = \(stored[0].id)")
            let short = #expect(throws: HistoryError.self) { try store.messages(in: .room("#a"), .latest, limit: 10) }
            #expect(short?.kind == .corrupt && short?.description.contains("does not hold its 3 messages") == true)
            try raw.execute("UPDATE segments SET body = 'alice admin - hi' || char(10) WHERE first_id = \(stored[2].id)")
            let trust = #expect(throws: HistoryError.self) { try store.messages(in: .room("#b"), .latest, limit: 10) }
            #expect(trust?.kind == .corrupt && trust?.description.contains("message \(stored[2].id) cannot be read") == true)
            // The operators' view ends its split of a damaged body (no final line feed) instead of looping.
            try raw.execute("UPDATE segments SET body = 'alice cert - no final newline' WHERE first_id = \(stored[2].id)")
            #expect(try raw.integer("SELECT count(*) FROM history") == 3)
        }

        @Test func countRetentionKeepsExactlyTheLimitTrimmingTheOldestSegmentKept() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let big = try store.append(oneCommit("#a", 10, prefix: "big"))
            let singles = try fill(store, "#a", count: 3, prefix: "single", time: 9_000)
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 5, maximumRows: 100) == 8)
            #expect(try store.messages(in: .room("#a"), .latest, limit: 100) == Array(big[8...]) + singles, "ids and times kept")
            #expect(try store.messages(in: .room("#a"), .after(0), limit: 1) == [big[8]])
            let raw = try RawDatabase(database.path)
            #expect(try raw.integer("SELECT count FROM segments WHERE first_id = \(big[8].id)") == 2)
            #expect(try raw.integer("SELECT count(*) FROM history WHERE scope = '#a'") == 5)
            let more = try fill(store, "#a", count: 7, prefix: "more", time: 10_000)
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 5, maximumRows: 4) == 4, "the budget holds")
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 5, maximumRows: 100) == 3)
            #expect(try store.messages(in: .room("#a"), .latest, limit: 100) == Array(more[2...]))
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 5, maximumRows: 100) == 0, "the counts followed")
        }

        @Test func roomsJustOverTheLimitDoNotStarveTheOthers() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            var batch: [HistoryEntry] = []
            for room in 0..<500 { batch += oneCommit("#s\(room)", 2) }
            _ = try store.append(batch)
            _ = try fill(store, "#big", count: 400, time: 9_000)  // 400 segments of one message
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 1, maximumRows: 500) == 500, "largest excess first")
            #expect(try store.messages(in: .room("#big"), .latest, limit: 1000).count == 1)
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 1, maximumRows: 500) == 399)
            for room in [0, 250, 499] { #expect(try store.messages(in: .room("#s\(room)"), .latest, limit: 10).count == 1) }
        }

        @Test func ageRetentionDeletesWholeSegmentsWithinTheBudget() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            _ = try store.append(oneCommit("#b", 6, prefix: "old", time: 100))
            let second = try store.append(oneCommit("#b", 6, prefix: "older", time: 200))
            let new = try store.append(oneCommit("#b", 2, prefix: "new", time: 5_000))
            #expect(try store.pruneStep(olderThan: 1_000, keepPerScope: nil, maximumRows: 4) == 6, "one segment over the budget")
            #expect(try store.messages(in: .room("#b"), .latest, limit: 100) == second + new)
            _ = try store.append(oneCommit("#b", 3, prefix: "late", time: 300))  // stored after newer ones: waits its turn
            #expect(try store.pruneStep(olderThan: 1_000, keepPerScope: nil, maximumRows: 8) == 6, "not 6 + 3 > 8")
            #expect(try store.pruneStep(olderThan: 1_000, keepPerScope: nil, maximumRows: 8) == 3)
            #expect(try store.messages(in: .room("#b"), .latest, limit: 100) == new)
        }

        @Test func countsAreRepairedWhenSegmentsWereDeletedByHand() throws {
            let database = try TemporaryDatabase()
            let store = try database.open()
            let stored = try store.append(oneCommit("#a", 4) + oneCommit("#a", 4, time: 6_000))
            try RawDatabase(database.path).execute("DELETE FROM segments WHERE first_id = \(stored[0].id)")
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 2, maximumRows: 100) == 2, "4 left, not the 8 counted")
            #expect(try store.messages(in: .room("#a"), .latest, limit: 100) == Array(stored[6...]))
            let later = try fill(store, "#a", count: 3, prefix: "later", time: 7_000)
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 3, maximumRows: 100) == 2)
            #expect(try store.messages(in: .room("#a"), .latest, limit: 100) == later)
        }

        @Test func aDamagedIdNearTheEndOfTheRangeIsAnErrorNotACrash() throws {
            let database = try TemporaryDatabase()
            _ = try database.open().append([roomMessage("#a", "x")])
            try RawDatabase(database.path).execute("UPDATE counters SET value = 9223372036854775000")
            #expect(database.openingError()?.kind == .corrupt)
            try RawDatabase(database.path).execute("""
                UPDATE counters SET value = 10; UPDATE segments SET first_id = 9223372036854775800;
                """)
            #expect(database.openingError()?.kind == .corrupt)
        }

        @Test func aVersion5FileIsMigratedKeepingEveryMessage() throws {
            let database = try TemporaryDatabase()
            try RawDatabase(database.path).execute("""
                PRAGMA application_id = \(0x544C_4348);
                CREATE TABLE scopes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('room', 'conversation')),
                    name TEXT NOT NULL, peer TEXT NOT NULL DEFAULT '', message_count INTEGER NOT NULL DEFAULT 0,
                    certificate_only INTEGER NOT NULL DEFAULT 0, UNIQUE (kind, name, peer));
                CREATE INDEX scopes_by_count ON scopes (message_count);
                CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO counters VALUES ('next_message_id', 40);
                CREATE TABLE messages (id INTEGER PRIMARY KEY, scope INTEGER NOT NULL REFERENCES scopes (id),
                    time INTEGER NOT NULL, sender TEXT NOT NULL, recipient TEXT, trust TEXT NOT NULL, text TEXT NOT NULL);
                CREATE INDEX messages_by_scope ON messages (scope);
                CREATE VIEW history AS SELECT m.id, m.text FROM messages AS m;
                INSERT INTO scopes (kind, name, peer, message_count) VALUES ('room', '#a', '', 2), ('conversation', 'alice', 'bob', 1);
                INSERT INTO messages VALUES (7, 1, 1000, 'alice', NULL, 'tls', 'first  one'), (9, 2, 1001, 'bob', 'alice', 'cert', 'psst'),
                    (12, 1, 1002, 'carol', NULL, 'plain', 'x');
                PRAGMA user_version = 5;
                """)
            let store = try database.open()
            let room = try store.messages(in: .room("#a"), .latest, limit: 10)
            #expect(room == [HistoryEntry(id: 7, time: 1000, scope: .room("#a"), sender: "alice", trust: .tls, text: "first  one"),
                             HistoryEntry(id: 12, time: 1002, scope: .room("#a"), sender: "carol", trust: .plain, text: "x")])
            let conversation = try store.messages(in: .between("bob", "alice"), .after(0), limit: 10)
            #expect(conversation.map(\.id) == [9] && conversation.first?.recipient == "alice" && conversation.first?.text == "psst")
            #expect(try store.messages(in: .room("#a"), .after(7), limit: 10).map(\.id) == [12])
            let raw = try RawDatabase(database.path)
            #expect(try raw.integer("SELECT count(*) FROM history WHERE recipient = 'alice' AND id = 9") == 1)
            #expect(try store.append([roomMessage("#a", "next")])[0].id == 40 + SQLiteHistoryStore.idsSkippedAtStart)
            #expect(try store.pruneStep(olderThan: nil, keepPerScope: 1, maximumRows: 10) == 2, "the counts came along")
        }
    }
}
