// HistoryTestSupport: what the history store tests share. `ChatHistoryTests`
// is the parent suite, serialized, because one test lowers the process-wide
// file size limit. `TemporaryDatabase` gives each test its own directory
// (removed afterwards) and opens stores in it; `RawDatabase` reaches the file
// with plain SQLite, beside the store, to damage it or fill it fast; the
// helpers build messages. Nothing here uses more than the store's public API.
import CSQLite
import ChatCore
import ChatHistory
import Foundation
import Testing

@Suite(.serialized) enum ChatHistoryTests {}

/// A fresh directory for one test's database, removed with everything in it on deinit.
final class TemporaryDatabase {
    let directory: String
    var path: String { directory + "/history.sqlite" }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/tlschat-history-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func open(_ synchronous: SQLiteHistoryStore.Synchronous = .normal) throws -> SQLiteHistoryStore {
        try SQLiteHistoryStore(path: path, synchronous: synchronous)
    }

    /// The HistoryError opening the database throws (fails the test if it opens).
    func openingError(sourceLocation: SourceLocation = #_sourceLocation) -> HistoryError? {
        do {
            _ = try SQLiteHistoryStore(path: path)
            Issue.record("the database opened", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// The file's permission bits (e.g. 0o600), nil if it does not exist.
    func mode(_ suffix: String = "") -> mode_t? {
        var info = stat()
        return stat(path + suffix, &info) == 0 ? info.st_mode & 0o777 : nil
    }
}

/// The database file opened with plain SQLite, for what the store must not offer:
/// changing the schema version, filling a room with a million rows in one statement.
final class RawDatabase {
    private var handle: OpaquePointer?

    init(_ path: String) throws {
        guard sqlite3_open(path, &handle) == SQLITE_OK else { throw POSIXError(.EIO) }
    }

    deinit {
        sqlite3_close(handle)
    }

    /// Runs fixed test SQL (one or more statements).
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            defer { sqlite3_free(message) }
            throw RawError(message: message.map { String(cString: $0) } ?? "error")
        }
    }

    /// The first column of the first row of one statement.
    func integer(_ sql: String) throws -> Int64 {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw RawError(message: String(cString: sqlite3_errmsg(handle)))
        }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else { throw RawError(message: String(cString: sqlite3_errmsg(handle))) }
        return sqlite3_column_int64(statement, 0)
    }

    struct RawError: Error { let message: String }
}

/// A room message at `time` (ms) from alice.
func roomMessage(_ room: String, _ text: String, time: Int64 = 1_000, trust: Trust = .cert) -> HistoryEntry {
    HistoryEntry(time: time, scope: .room(room), sender: "alice", trust: trust, text: text)
}

/// The texts of `entries`, in order.
func texts(_ entries: [HistoryEntry]) -> [String] {
    entries.map(\.text)
}

/// Appends `count` messages "PREFIX0", "PREFIX1", ... to `room`, one batch; returns them with ids.
@discardableResult
func fill(_ store: SQLiteHistoryStore, _ room: String, count: Int, prefix: String = "m", time: Int64 = 1_000) throws -> [HistoryEntry] {
    try store.append((0..<count).map { roomMessage(room, "\(prefix)\($0)", time: time + Int64($0)) })
}
