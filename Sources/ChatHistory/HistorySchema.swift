// HistorySchema: the layout of a TLSChat history database and how a file is
// brought to it. The version lives in `PRAGMA user_version` and every change
// is one more entry in `migrations` (never edit a shipped entry), applied in
// its own transaction; a file written by a newer tlschatd is refused, and so
// is an SQLite file of another program. `PRAGMA application_id` marks our files.
// Opening also sets WAL mode and the synchronous level. Layout (version 6):
// - scopes: one row per room or conversation (kind, name, peer), with the
//   number of messages it holds, kept by the store, so count-based retention
//   never has to count (indexed by that count since version 2), and (since
//   version 4) whether the room was marked certificate-only; since version 5
//   the count covers the messages with ids below the counter (the rest are
//   counted at start, SQLiteHistoryStore+Bookkeeping);
// - segments (since version 6; before, one `messages` row per message): one
//   row per run of messages of one scope stored by one commit: the id of its
//   first message (first_id; the others follow one by one), scope, time (ms
//   since the epoch; one commit, one time), count (1 to 256) and body, one
//   line per message (SegmentBody). A busy room's commit writes one row and one
//   index entry instead of one per message (the b-tree work per message was
//   most of a commit's cost). Indexed by (scope, first_id) for paging. Age-based
//   retention walks the oldest ids, which the store gives in time order, so
//   no index on time is kept. Version 6 turns every old message into a
//   segment of one;
// - counters: next_message_id; until version 4 the id after the highest ever
//   given, written in every transaction that stores messages; since version 5
//   written every few thousand messages, so ids are unique through the higher
//   of it and the newest message's id (a deleting prune step writes it first);
// - history: a read-only view with one row per message (the bodies split in
//   SQL), for operators with the sqlite3 CLI.
// It does not read or write messages (SQLiteHistoryStore does).
import ChatCore

enum HistorySchema {
    /// "TLCH" in `PRAGMA application_id`.
    static let applicationID: Int64 = 0x544C_4348

    /// migrations[n] brings a file from version n to n + 1.
    static let migrations: [String] = [
        """
        PRAGMA application_id = \(applicationID);
        CREATE TABLE scopes (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('room', 'conversation')),
            name TEXT NOT NULL,
            peer TEXT NOT NULL DEFAULT '',
            message_count INTEGER NOT NULL DEFAULT 0,
            UNIQUE (kind, name, peer)
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scope INTEGER NOT NULL REFERENCES scopes (id),
            time INTEGER NOT NULL,
            sender TEXT NOT NULL,
            recipient TEXT,
            trust TEXT NOT NULL,
            text TEXT NOT NULL
        );
        CREATE INDEX messages_by_scope ON messages (scope);
        CREATE INDEX messages_by_time ON messages (time);
        CREATE VIEW history AS
            SELECT m.id, s.kind, s.name AS scope, s.peer, m.time,
                   strftime('%Y-%m-%dT%H:%M:%fZ', m.time / 1000.0, 'unixepoch') AS utc,
                   m.sender, m.recipient, m.trust, m.text
            FROM messages AS m JOIN scopes AS s ON s.id = m.scope;
        """,
        // 2: count-based retention finds the rooms over their limit through an index instead
        // of reading every room and conversation each second.
        """
        CREATE INDEX scopes_by_count ON scopes (message_count);
        """,
        // 3: ids given by the store (a counter written once per transaction) instead of
        // AUTOINCREMENT, and no index on time: two fewer b-tree writes per stored message.
        """
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO counters (name, value) VALUES ('next_message_id', 1 + max(
            coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0),
            coalesce((SELECT max(id) FROM messages), 0)));
        CREATE TABLE messages_v3 (
            id INTEGER PRIMARY KEY,
            scope INTEGER NOT NULL REFERENCES scopes (id),
            time INTEGER NOT NULL,
            sender TEXT NOT NULL,
            recipient TEXT,
            trust TEXT NOT NULL,
            text TEXT NOT NULL
        );
        INSERT INTO messages_v3 SELECT id, scope, time, sender, recipient, trust, text FROM messages ORDER BY id;
        DROP VIEW history;
        DROP TABLE messages;
        DELETE FROM sqlite_sequence WHERE name = 'messages';
        ALTER TABLE messages_v3 RENAME TO messages;
        CREATE INDEX messages_by_scope ON messages (scope);
        """ + historyView,
        // 4: rooms marked certificate-only (CERTONLY) keep the mark with their history.
        """
        ALTER TABLE scopes ADD COLUMN certificate_only INTEGER NOT NULL DEFAULT 0;
        """,
        // 5: the counter and the counts are written every few thousand messages, not in every
        // commit (three b-tree pages fewer per commit). No table changes; the version keeps an
        // older tlschatd, which would trust the counts without recounting, from opening the file.
        """
        UPDATE counters SET value = value WHERE name = 'next_message_id';
        """,
        // 6: one row per run of messages of one scope and commit (a segment) instead of one
        // per message; every message stored before becomes a segment of one.
        """
        CREATE TABLE segments (
            first_id INTEGER PRIMARY KEY,
            scope INTEGER NOT NULL REFERENCES scopes (id),
            time INTEGER NOT NULL,
            count INTEGER NOT NULL CHECK (count BETWEEN 1 AND 256),
            body TEXT NOT NULL
        );
        INSERT INTO segments (first_id, scope, time, count, body)
            SELECT id, scope, time, 1, sender || ' ' || trust || ' ' || coalesce(recipient, '-') || ' ' || text || char(10)
            FROM messages ORDER BY id;
        DROP VIEW history;
        DROP TABLE messages;
        CREATE INDEX segments_by_scope ON segments (scope);
        """ + segmentsView,
    ]

    static let historyView = """
        CREATE VIEW history AS
            SELECT m.id, s.kind, s.name AS scope, s.peer, m.time,
                   strftime('%Y-%m-%dT%H:%M:%fZ', m.time / 1000.0, 'unixepoch') AS utc,
                   m.sender, m.recipient, m.trust, m.text
            FROM messages AS m JOIN scopes AS s ON s.id = m.scope;
        """

    /// Since version 6: the segments' lines split back into one row per message. It splits
    /// every segment for any query (slow on a large file; a damaged body ends its split at
    /// its count or its last line feed, never loops): for a lookup, pick the segments first.
    static let segmentsView = """
        CREATE VIEW history AS
            WITH RECURSIVE lines (first_id, n, count, scope, time, line, rest) AS (
                SELECT first_id, 0, count, scope, time, substr(body, 1, instr(body, char(10)) - 1),
                       substr(body, instr(body, char(10)) + 1) FROM segments
                UNION ALL
                SELECT first_id, n + 1, count, scope, time, substr(rest, 1, instr(rest, char(10)) - 1),
                       substr(rest, instr(rest, char(10)) + 1) FROM lines
                WHERE n + 1 < count AND instr(rest, char(10)) > 0
            ), sent AS (
                SELECT first_id + n AS id, scope, time, substr(line, 1, instr(line, ' ') - 1) AS sender,
                       substr(line, instr(line, ' ') + 1) AS rest FROM lines
            ), trusted AS (
                SELECT id, scope, time, sender, substr(rest, 1, instr(rest, ' ') - 1) AS trust,
                       substr(rest, instr(rest, ' ') + 1) AS rest FROM sent
            ), addressed AS (
                SELECT id, scope, time, sender, trust, substr(rest, 1, instr(rest, ' ') - 1) AS recipient,
                       substr(rest, instr(rest, ' ') + 1) AS text FROM trusted
            )
            SELECT m.id, s.kind, s.name AS scope, s.peer, m.time,
                   strftime('%Y-%m-%dT%H:%M:%fZ', m.time / 1000.0, 'unixepoch') AS utc,
                   m.sender, nullif(m.recipient, '-') AS recipient, m.trust, m.text
            FROM addressed AS m JOIN scopes AS s ON s.id = m.scope;
        """

    /// The version this tlschatd writes.
    static var currentVersion: Int64 { Int64(migrations.count) }

    /// Checks the file is ours (or empty) and not newer, then sets WAL mode and `synchronous`
    /// and migrates it. Returns whether the file was new (nothing in it before).
    @discardableResult
    static func open(_ connection: SQLiteConnection, synchronous: String) throws(HistoryError) -> Bool {
        let path = connection.path
        let version = try value("PRAGMA user_version", connection, doing: "reading the schema version").integer
        if version > currentVersion {
            throw HistoryError(.newerSchema, "history database \(path) has schema version \(version), newer than version "
                + "\(currentVersion) of this tlschatd: run a newer tlschatd, or use another file")
        }
        let application = try value("PRAGMA application_id", connection, doing: "reading the application id").integer
        let tables = try value("SELECT count(*) FROM sqlite_schema", connection, doing: "reading the schema").integer
        if version == 0 && tables > 0 || version > 0 && application != applicationID {
            throw HistoryError(.failed, "history database \(path) is an SQLite database of another program "
                + "(application id \(application), schema version \(version), \(tables) tables), not a TLSChat history")
        }
        // Only a file that is ours (or new) is switched to WAL: another program's keeps its journal mode.
        let mode = try value("PRAGMA journal_mode = WAL", connection, doing: "switching to WAL mode")
        guard mode.text == "wal" else {
            throw HistoryError(.failed, "history database \(path): cannot use WAL mode (journal mode stays '\(mode.text ?? "")')")
        }
        try connection.execute("PRAGMA synchronous = \(synchronous)", doing: "setting synchronous")
        // A 16 MB page cache (the default is 2 MB) keeps the upper index levels of a large history
        // in memory. No mmap: an I/O error on a mapped file would kill the server with SIGBUS.
        try connection.execute("PRAGMA cache_size = -16384", doing: "setting cache_size")
        for step in Int(version)..<migrations.count {
            try migrate(connection, from: step)
        }
        return version == 0 && tables == 0
    }

    private static func migrate(_ connection: SQLiteConnection, from version: Int) throws(HistoryError) {
        let what = "migrating the schema from version \(version) to \(version + 1)"
        do {
            try connection.execute("BEGIN IMMEDIATE", doing: what)
            try connection.execute(migrations[version], doing: what)
            try connection.execute("PRAGMA user_version = \(version + 1)", doing: what)
            try connection.execute("COMMIT", doing: what)
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK", doing: what) }
            throw error
        }
    }

    /// The first column of the first row of a one-off statement.
    private static func value(_ sql: String, _ connection: SQLiteConnection,
                              doing what: String) throws(HistoryError) -> (integer: Int64, text: String?) {
        let statement = try connection.prepare(sql, doing: what)
        defer { statement.finalize() }
        guard try statement.step() else { return (0, nil) }
        return (statement.int64(0), statement.text(0))
    }
}
