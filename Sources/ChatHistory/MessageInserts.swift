// MessageInserts: the INSERT statements that store a batch of messages, one
// per row count that is a power of two up to `maximumRows`, each prepared the
// first time a batch needs it and kept for the store's lifetime. A batch of
// any size is written as a few of them (64 + 32 + ... + 1 rows): one statement
// per row costs SQLite its per-statement work (about a third of an insert) for
// every message, one statement per batch size would prepare without bound.
// Each row is (id, scope, time, sender, recipient, trust, text), all bound.
// It does not choose ids or open transactions (SQLiteHistoryStore does).
import ChatCore

final class MessageInserts {
    static let maximumRows = 64
    static let columns = 7
    private let connection: SQLiteConnection
    private var byRows: [Int: SQLiteStatement] = [:]

    init(_ connection: SQLiteConnection) { self.connection = connection }

    /// Inserts `rows` (scope id and entry with its id set) with as few statements as the sizes allow.
    func insert(_ rows: ArraySlice<(scope: Int64, entry: HistoryEntry)>) throws(HistoryError) {
        var rest = rows
        while !rest.isEmpty {
            var size = Self.maximumRows
            while size > rest.count { size /= 2 }
            let statement = try self.statement(rows: size)
            defer { statement.reset() }
            for (offset, row) in rest.prefix(size).enumerated() {
                let base = Int32(offset * Self.columns)
                try statement.bind(base + 1, row.entry.id)
                try statement.bind(base + 2, row.scope)
                try statement.bind(base + 3, row.entry.time)
                try statement.bind(base + 4, row.entry.sender)
                try statement.bind(base + 5, row.entry.recipient)
                try statement.bind(base + 6, row.entry.trust.rawValue)
                try statement.bind(base + 7, row.entry.text)
            }
            try statement.run()
            rest = rest.dropFirst(size)
        }
    }

    private func statement(rows: Int) throws(HistoryError) -> SQLiteStatement {
        if let prepared = byRows[rows] { return prepared }
        let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
        let prepared = try connection.prepare(
            "INSERT INTO messages (id, scope, time, sender, recipient, trust, text) VALUES " + values, doing: "storing messages")
        byRows[rows] = prepared
        return prepared
    }

    /// Finalizes every statement (before the connection closes).
    func finalizeAll() {
        for statement in byRows.values { statement.finalize() }
        byRows.removeAll()
    }
}
