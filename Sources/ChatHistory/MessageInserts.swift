// MessageInserts: the INSERT statements that store a batch of messages, one
// per row count that is a power of two up to `maximumRows`, each prepared the
// first time a batch needs it and kept for the store's lifetime. A batch of
// any size is written as a few of them (64 + 32 + ... + 1 rows): one statement
// per row costs SQLite its per-statement work (about a third of an insert) for
// every message, one statement per batch size would prepare without bound.
// Each row is (id, scope, time, sender, recipient, trust, text), all bound;
// the texts of a statement are bound from one buffer without copies.
// It does not choose ids or open transactions (SQLiteHistoryStore does).
import ChatCore

final class MessageInserts {
    static let maximumRows = 64
    static let columns = 7
    private let connection: SQLiteConnection
    private var byRows: [Int: SQLiteStatement] = [:]
    /// The texts of the chunk being inserted, back to back, and where each one is.
    private var textBytes: [UInt8] = []
    private var textSpans: [Range<Int>] = []

    init(_ connection: SQLiteConnection) { self.connection = connection }

    /// Inserts `rows` (scope id and entry with its id set) with as few statements as the sizes allow.
    func insert(_ rows: ArraySlice<(scope: Int64, entry: HistoryEntry)>) throws(HistoryError) {
        var rest = rows
        while !rest.isEmpty {
            var size = Self.maximumRows
            while size > rest.count { size /= 2 }
            try insertChunk(rest.prefix(size), with: try statement(rows: size))
            rest = rest.dropFirst(size)
        }
    }

    /// The chunk's texts are copied once into `textBytes` and bound from there without
    /// further copies; every parameter is bound for every run, so the statement is only
    /// rewound afterwards (clearing 448 bindings would cost more than the insert).
    private func insertChunk(_ chunk: ArraySlice<(scope: Int64, entry: HistoryEntry)>,
                             with statement: SQLiteStatement) throws(HistoryError) {
        textBytes.removeAll(keepingCapacity: true)
        textSpans.removeAll(keepingCapacity: true)
        for row in chunk {
            addText(row.entry.sender)
            addText(row.entry.trust.rawValue)
            addText(row.entry.text)
        }
        textBytes.append(0)  // never an empty buffer: every span has a valid address
        try textBytes.withUnsafeBufferPointer { buffer throws(HistoryError) in
            defer { statement.rewind() }
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            for (offset, row) in chunk.enumerated() {
                let column = Int32(offset * Self.columns), span = offset * 3
                try statement.bind(column + 1, row.entry.id)
                try statement.bind(column + 2, row.scope)
                try statement.bind(column + 3, row.entry.time)
                try bindSpan(column + 4, span, base, statement)
                try statement.bind(column + 5, row.entry.recipient)
                try bindSpan(column + 6, span + 1, base, statement)
                try bindSpan(column + 7, span + 2, base, statement)
            }
            try statement.run()
        }
    }

    private func addText(_ text: String) {
        let start = textBytes.count
        textBytes.append(contentsOf: text.utf8)
        textSpans.append(start..<textBytes.count)
    }

    private func bindSpan(_ parameter: Int32, _ span: Int, _ base: UnsafePointer<CChar>,
                          _ statement: SQLiteStatement) throws(HistoryError) {
        let range = textSpans[span]
        try statement.bindUnowned(parameter, base + range.lowerBound, count: range.count)
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
