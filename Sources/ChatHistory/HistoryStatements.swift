// HistoryStatements: every statement the history store runs while serving,
// prepared once when the store opens and reused for its lifetime (one-offs at
// start-up and for operators, such as schema checks or a checkpoint, are
// prepared when used). Values always travel as
// bound parameters (?1, ?2, ...); no SQL text is ever built from user data.
// Each read or delete is shaped so SQLite answers it from an index with a
// LIMIT, so its cost does not grow with the size of a room or of the file
// (SQLiteHistoryStore.queryPlan shows the plans; the tests check them).
// It does not decide when a statement runs or what its results mean.
import ChatCore

final class HistoryStatements {
    static let overfullScopesSQL = "SELECT id, message_count - ?1 FROM scopes WHERE message_count > ?1 ORDER BY message_count DESC LIMIT ?2"
    /// The columns a read returns, in order: first id, time, count, body.
    static let columns = "first_id, time, count, body"
    static let newestBelowSQL = "SELECT \(columns) FROM segments WHERE scope = ?1 AND first_id < ?2 ORDER BY first_id DESC LIMIT ?3"
    static let oldestFromSQL = "SELECT \(columns) FROM segments WHERE scope = ?1 AND first_id >= ?2 ORDER BY first_id LIMIT ?3"
    /// The `?1` oldest segments (ids are given in time order; a message stored after the clock
    /// went back waits until the older-looking ones before it go).
    static let oldestSegmentsSQL = "SELECT first_id, scope, time, count FROM segments ORDER BY first_id LIMIT ?1"
    static let deleteSegmentSQL = "DELETE FROM segments WHERE first_id = ?1"
    static let oldestOfScopeSQL = "SELECT first_id, count FROM segments WHERE scope = ?1 ORDER BY first_id LIMIT ?2"
    static let deleteOldestOfScopeSQL = "DELETE FROM segments WHERE scope = ?1 AND first_id <= ?2"
    /// A segment without its first ?3 messages, whose lines start at byte ?4 (1-based) of its body.
    static let trimSegmentSQL = """
        UPDATE segments SET first_id = ?2, count = count - ?3, body = CAST(substr(CAST(body AS BLOB), ?4) AS TEXT)
        WHERE first_id = ?1
        """

    let begin: SQLiteStatement
    let commit: SQLiteStatement
    let rollback: SQLiteStatement
    /// -> the id after the highest ever given
    let readNextID: SQLiteStatement
    /// (the id after the highest given)
    let writeNextID: SQLiteStatement
    /// (kind, name, peer) -> id
    let findScope: SQLiteStatement
    /// (kind, name, peer)
    let insertScope: SQLiteStatement
    /// (scope id, change of its message count)
    let addToCount: SQLiteStatement
    /// (scope id, message count)
    let setCount: SQLiteStatement
    /// (scope id)
    let markCertificateOnly: SQLiteStatement
    /// (scope id, below id, limit) -> segments, newest first
    let newestBelow: SQLiteStatement
    /// (scope id, from id, limit) -> segments, oldest first
    let oldestFrom: SQLiteStatement
    /// (limit) -> (first id, scope id, time, count), oldest first
    let oldestSegments: SQLiteStatement
    /// (first id)
    let deleteSegment: SQLiteStatement
    /// (messages to keep, scope limit) -> (scope id, messages beyond the limit)
    let overfullScopes: SQLiteStatement
    /// (scope id, limit) -> (first id, count), oldest first
    let oldestOfScope: SQLiteStatement
    /// (scope id, last first id to delete)
    let deleteOldestOfScope: SQLiteStatement
    /// (first id) -> body
    let segmentBody: SQLiteStatement
    /// (first id, new first id, messages dropped, byte where the rest starts)
    let trimSegment: SQLiteStatement

    init(_ connection: SQLiteConnection) throws(HistoryError) {
        begin = try connection.prepare("BEGIN IMMEDIATE", doing: "beginning a transaction")
        commit = try connection.prepare("COMMIT", doing: "committing")
        rollback = try connection.prepare("ROLLBACK", doing: "rolling back")
        readNextID = try connection.prepare(
            "SELECT value FROM counters WHERE name = 'next_message_id'", doing: "reading the id counter")
        writeNextID = try connection.prepare(
            "UPDATE counters SET value = ?1 WHERE name = 'next_message_id'", doing: "keeping the id counter")
        findScope = try connection.prepare(
            "SELECT id FROM scopes WHERE kind = ?1 AND name = ?2 AND peer = ?3", doing: "finding a room or conversation")
        insertScope = try connection.prepare(
            "INSERT INTO scopes (kind, name, peer) VALUES (?1, ?2, ?3)", doing: "adding a room or conversation")
        addToCount = try connection.prepare(
            "UPDATE scopes SET message_count = message_count + ?2 WHERE id = ?1", doing: "counting messages")
        setCount = try connection.prepare(
            "UPDATE scopes SET message_count = ?2 WHERE id = ?1", doing: "counting messages")
        markCertificateOnly = try connection.prepare(
            "UPDATE scopes SET certificate_only = 1 WHERE id = ?1", doing: "marking a room certificate-only")
        newestBelow = try connection.prepare(Self.newestBelowSQL, doing: "reading history")
        oldestFrom = try connection.prepare(Self.oldestFromSQL, doing: "reading history")
        oldestSegments = try connection.prepare(Self.oldestSegmentsSQL, doing: "pruning old messages")
        deleteSegment = try connection.prepare(Self.deleteSegmentSQL, doing: "pruning old messages")
        overfullScopes = try connection.prepare(Self.overfullScopesSQL, doing: "finding full rooms")
        oldestOfScope = try connection.prepare(Self.oldestOfScopeSQL, doing: "pruning a full room")
        deleteOldestOfScope = try connection.prepare(Self.deleteOldestOfScopeSQL, doing: "pruning a full room")
        segmentBody = try connection.prepare("SELECT body FROM segments WHERE first_id = ?1", doing: "pruning a full room")
        trimSegment = try connection.prepare(Self.trimSegmentSQL, doing: "pruning a full room")
    }

    /// Finalizes every statement (before the connection closes).
    func finalizeAll() {
        for statement in [begin, commit, rollback, readNextID, writeNextID, findScope, insertScope, addToCount, setCount,
                          markCertificateOnly, newestBelow, oldestFrom, oldestSegments, deleteSegment, overfullScopes,
                          oldestOfScope, deleteOldestOfScope, segmentBody, trimSegment] {
            statement.finalize()
        }
    }
}
