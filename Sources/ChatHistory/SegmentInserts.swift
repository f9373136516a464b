// SegmentInserts: stores one batch of messages as segments (HistorySchema):
// consecutive messages of the same scope and time become one row, up to
// SegmentBody's limits, so a batch of one busy room is one row however many
// messages it holds. The rows are written with INSERT statements of a
// power-of-two number of rows up to `maximumRows`, each prepared the first
// time a batch needs it and kept for the store's lifetime (a batch of many
// short runs, e.g. many rooms, costs a few statements, not one per row). All
// the batch's bodies are encoded back to back into one buffer and bound from
// it without copies. It does not choose ids, look up scopes or open
// transactions (SQLiteHistoryStore does).
import ChatCore

final class SegmentInserts {
    static let maximumRows = 16
    static let columns = 5

    /// One row to insert: its first id, scope id, time, message count and where its body is.
    struct Segment {
        let firstID: Int64
        let scopeID: Int64
        let time: Int64
        var count: Int
        var body: Range<Int>
    }

    private let connection: SQLiteConnection
    private var byRows: [Int: SQLiteStatement] = [:]
    /// The bodies of the batch being inserted, back to back.
    private var bodies: [UInt8] = []
    private var segments: [Segment] = []

    init(_ connection: SQLiteConnection) { self.connection = connection }

    /// Body bytes kept allocated between batches; a larger burst's buffer is let go.
    static let retainedBodyCapacity = 1 << 20

    /// Inserts `entries` with ids from `firstID` on; `scopeID` gives (or creates) a scope's id.
    /// Returns how many messages each scope id received.
    func insert(_ entries: [HistoryEntry], firstID: Int64,
                scopeID: (HistoryScope) throws(HistoryError) -> Int64) throws(HistoryError) -> [Int64: Int64] {
        defer { if bodies.capacity > Self.retainedBodyCapacity { bodies = [] } }
        bodies.removeAll(keepingCapacity: true)
        segments.removeAll(keepingCapacity: true)
        var counts: [Int64: Int64] = [:]
        for index in entries.indices {  // by index: copying each entry out would retain its strings
            let start = bodies.count, time = entries[index].time
            try SegmentBody.append(entries[index], to: &bodies)
            if var last = segments.last, last.time == time, last.count < SegmentBody.maximumMessages,
               last.body.count < SegmentBody.maximumBytes, entries[index - 1].scope == entries[index].scope {
                last.count += 1
                last.body = last.body.lowerBound..<bodies.count
                segments[segments.count - 1] = last
            } else {
                let scope = segments.last != nil && entries[index - 1].scope == entries[index].scope
                    ? segments[segments.count - 1].scopeID : try scopeID(entries[index].scope)
                segments.append(Segment(firstID: firstID + Int64(index), scopeID: scope, time: time, count: 1,
                                        body: start..<bodies.count))
            }
        }
        for segment in segments { counts[segment.scopeID, default: 0] += Int64(segment.count) }
        bodies.append(0)  // never an empty buffer: every span has a valid address
        try bodies.withUnsafeBufferPointer { buffer throws(HistoryError) in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var rest = segments[...]
            while !rest.isEmpty {
                var size = Self.maximumRows
                while size > rest.count { size /= 2 }
                try insertChunk(rest.prefix(size), base: base, with: try statement(rows: size))
                rest = rest.dropFirst(size)
            }
        }
        return counts
    }

    /// Every parameter is bound for every run, so the statement is only rewound afterwards.
    private func insertChunk(_ chunk: ArraySlice<Segment>, base: UnsafePointer<CChar>,
                             with statement: SQLiteStatement) throws(HistoryError) {
        defer { statement.rewind() }
        for (offset, segment) in chunk.enumerated() {
            let column = Int32(offset * Self.columns)
            try statement.bind(column + 1, segment.firstID)
            try statement.bind(column + 2, segment.scopeID)
            try statement.bind(column + 3, segment.time)
            try statement.bind(column + 4, Int64(segment.count))
            try statement.bindUnowned(column + 5, base + segment.body.lowerBound, count: segment.body.count)
        }
        try statement.run()
    }

    private func statement(rows: Int) throws(HistoryError) -> SQLiteStatement {
        if let prepared = byRows[rows] { return prepared }
        let values = Array(repeating: "(?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
        let prepared = try connection.prepare(
            "INSERT INTO segments (first_id, scope, time, count, body) VALUES " + values, doing: "storing messages")
        byRows[rows] = prepared
        return prepared
    }

    /// Finalizes every statement (before the connection closes).
    func finalizeAll() {
        for statement in byRows.values { statement.finalize() }
        byRows.removeAll()
    }
}
