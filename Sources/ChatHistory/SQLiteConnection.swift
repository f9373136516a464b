// SQLiteConnection: one open sqlite3 handle, used from one thread (the event
// loop), with extended result codes and a busy timeout of 0 so no call ever
// waits for a lock. It runs fixed SQL text, prepares statements, and turns a
// failed result code into a HistoryError whose one line names the database
// file, what was being done, SQLite's message, the code's C name and, for I/O
// failures, the errno text. It does not know the schema, hold statements,
// take the tlschatd lock or decide what is stored (SQLiteHistoryStore does).
internal import CSQLite
import ChatCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class SQLiteConnection {
    /// The database file, as given: it names the file in every error line.
    let path: String
    private var handle: OpaquePointer?

    /// Opens (and creates if missing) the database file read-write. The file
    /// is not read yet: a damaged file shows up at the first statement.
    init(path: String) throws(HistoryError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw HistoryError(.failed, "history database \(path): cannot open: \(message) (\(SQLiteResultNames.name(rc)))")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 0)
    }

    deinit {
        close()
    }

    /// Closes the handle; statements not yet finalized keep it alive until they are.
    func close() {
        guard let handle else { return }
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    /// The open handle; using a closed connection is a programming error.
    var database: OpaquePointer {
        guard let handle else { preconditionFailure("history database \(path) used after close") }
        return handle
    }

    /// Runs fixed SQL text (no user data: values always go through bound parameters).
    func execute(_ sql: String, doing what: String) throws(HistoryError) {
        let rc = sqlite3_exec(database, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw failure(rc, doing: what) }
    }

    /// Compiles `sql` once; the statement is meant to be kept and reused.
    func prepare(_ sql: String, doing what: String) throws(HistoryError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(database, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw failure(rc, doing: what) }
        return SQLiteStatement(statement, connection: self, purpose: what)
    }

    /// The rowid given to the last row this connection inserted.
    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(database) }

    /// True between BEGIN and COMMIT/ROLLBACK (SQLite may roll back by itself after an I/O error).
    var isInTransaction: Bool { sqlite3_get_autocommit(database) == 0 }

    /// The HistoryError for result code `rc` of the call that just failed on this handle.
    func failure(_ rc: Int32, doing what: String) -> HistoryError {
        let message = String(cString: sqlite3_errmsg(database))
        let primary = rc & 0xff
        let isIO = primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN
        let systemErrno = isIO ? (sqlite3_system_errno(database) != 0 ? sqlite3_system_errno(database) : lastFileErrno()) : 0
        let cause = isIO && systemErrno != 0 ? ", errno \(systemErrno): \(String(cString: strerror(systemErrno)))" : ""
        let detail = "\(message) (\(SQLiteResultNames.name(rc))\(cause))"
        switch Self.kind(of: rc, systemErrno: systemErrno) {
        case .full:
            return HistoryError(.full, "history database \(path): \(what) failed, disk or file size limit full: \(detail)")
        case .corrupt:
            return HistoryError(.corrupt, "history database \(path) is corrupt or not an SQLite database: \(what): \(detail)")
        case .locked:
            return HistoryError(.locked, "history database \(path): \(what) failed, locked by another process: \(detail)")
        case .newerSchema, .failed:
            return HistoryError(.failed, "history database \(path): \(what) failed: \(detail)")
        }
    }

    /// The errno of the last failed system call on the WAL (or rollback journal) or on
    /// the database file: SQLite keeps one per file. sqlite3_system_errno stays 0 when a
    /// COMMIT fails to write the WAL, which is where a full disk usually shows; a write
    /// refused by the file size limit (EFBIG) is reported as SQLITE_IOERR_WRITE, not
    /// SQLITE_FULL, so this is how the store tells it apart from a failing disk.
    /// A value can be stale (from an earlier failure): it only refines an I/O error.
    private func lastFileErrno() -> Int32 {
        var found: [Int32] = []
        var journal: UnsafeMutablePointer<sqlite3_file>?
        if sqlite3_file_control(database, "main", SQLITE_FCNTL_JOURNAL_POINTER, &journal) == SQLITE_OK,
           let journal, let control = journal.pointee.pMethods?.pointee.xFileControl {
            var value: Int32 = 0
            if control(journal, SQLITE_FCNTL_LAST_ERRNO, &value) == SQLITE_OK { found.append(value) }
        }
        var value: Int32 = 0
        if sqlite3_file_control(database, "main", SQLITE_FCNTL_LAST_ERRNO, &value) == SQLITE_OK { found.append(value) }
        return found.first { [ENOSPC, EFBIG, EDQUOT].contains($0) } ?? found.first { $0 != 0 } ?? 0
    }

    /// What a result code means to the chat server: full disk (also a write refused
    /// with ENOSPC, EFBIG (file size limit) or EDQUOT), damage, someone else's lock, or other.
    static func kind(of rc: Int32, systemErrno: Int32) -> HistoryError.Kind {
        switch rc & 0xff {
        case SQLITE_FULL:
            return .full
        case SQLITE_IOERR where systemErrno == ENOSPC || systemErrno == EFBIG || systemErrno == EDQUOT:
            return .full
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return .corrupt
        case SQLITE_BUSY, SQLITE_LOCKED:
            return .locked
        default:
            return .failed
        }
    }
}
