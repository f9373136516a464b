// SQLiteStatement: one prepared statement, compiled once and reused: bind
// parameters by index, step through its rows, read columns, reset. Values only
// ever enter SQL through bound parameters (text is copied at bind time). A
// step that fails throws the connection's HistoryError for it. The statement
// keeps its connection alive and is finalized in deinit (or by `finalize()`).
// It does not begin or end transactions and knows no table.
internal import CSQLite
import ChatCore

final class SQLiteStatement {
    private var handle: OpaquePointer?
    private let connection: SQLiteConnection
    /// What this statement does, for error lines ("append", "read history").
    let purpose: String

    init(_ handle: OpaquePointer, connection: SQLiteConnection, purpose: String) {
        self.handle = handle
        self.connection = connection
        self.purpose = purpose
    }

    deinit {
        finalize()
    }

    func finalize() {
        guard let handle else { return }
        sqlite3_finalize(handle)
        self.handle = nil
    }

    private var statement: OpaquePointer {
        guard let handle else { preconditionFailure("statement '\(purpose)' used after finalize") }
        return handle
    }

    /// Binds parameter `index` (1-based).
    func bind(_ index: Int32, _ value: Int64) throws(HistoryError) {
        try check(sqlite3_bind_int64(statement, index, value))
    }

    /// Binds parameter `index` (1-based) to text, or to NULL for nil.
    func bind(_ index: Int32, _ value: String?) throws(HistoryError) {
        guard var value else { return try check(sqlite3_bind_null(statement, index)) }
        let rc = value.withUTF8 { bytes -> Int32 in
            guard bytes.count <= Int(Int32.max) else { return SQLITE_TOOBIG }
            // An empty buffer may have no address; "" gives SQLite a valid empty text.
            guard let base = bytes.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, CSQLite_transient()) }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(statement, index, $0, Int32(bytes.count), CSQLite_transient())
            }
        }
        try check(rc)
    }

    /// Binds parameter `index` (1-based) to `count` bytes of UTF-8 text at `bytes` without
    /// copying them (SQLITE_STATIC): the bytes must stay valid and unchanged until the
    /// statement has been stepped and reset. For the hot insert path only.
    func bindUnowned(_ index: Int32, _ bytes: UnsafePointer<CChar>, count: Int) throws(HistoryError) {
        try check(sqlite3_bind_text(statement, index, bytes, Int32(count), nil))
    }

    /// Runs the statement to its next row: true with a row to read, false when done.
    func step() throws(HistoryError) -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.failure(rc, doing: purpose)
        }
    }

    /// Steps to the end, discarding rows.
    func run() throws(HistoryError) {
        while try step() {}
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    /// The column's text, nil for NULL.
    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(statement, column) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// The column's text as bytes, without a copy: valid only until the next step, reset or
    /// finalize (empty for NULL).
    func textBytes(_ column: Int32) -> UnsafeRawBufferPointer {
        guard let bytes = sqlite3_column_text(statement, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column)))
    }

    /// Makes the statement ready for the next use: rewound, parameters unbound.
    /// Its own result code repeats the last step's error, already reported.
    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    /// Rewinds the statement but keeps its parameters bound, for a caller that binds every
    /// parameter before each run (clearing hundreds of them costs more than the insert).
    /// Unowned text stays bound to memory that may be gone: the next run must rebind it.
    func rewind() {
        sqlite3_reset(statement)
    }

    private func check(_ rc: Int32) throws(HistoryError) {
        guard rc == SQLITE_OK else { throw connection.failure(rc, doing: purpose) }
    }
}
