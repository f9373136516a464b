// SQLiteHistoryStore+Reads: one page of a room's or conversation's history
// from its segments (HistorySchema), oldest first, at most `limit` messages.
// Each segment holds at least one message, so `limit` segments always cover
// a page: paging back reads the scope's segments below the bound newest
// first (LIMIT `limit`) and keeps the newest messages below it; catch-up finds
// the segment holding the first id after the bound (the newest one starting
// at or below it) and reads forwards from there (LIMIT `limit` + 1, as that
// first segment may hold nothing after the bound). Both go through the index
// on (scope, first_id), so the cost does not grow with the room. A segment
// whose body does not hold `count` well-formed lines makes the read fail as
// corrupt. It never writes.
import ChatCore

extension SQLiteHistoryStore {
    public func messages(in scope: HistoryScope, _ range: HistoryRange, limit: Int) throws(HistoryError) -> [HistoryEntry] {
        let count = min(max(limit, Self.limitRange.lowerBound), Self.limitRange.upperBound)
        guard let scopeID = try existingScopeID(scope) else { return [] }
        switch range {
        case .latest: return try newest(count, below: .max, in: scopeID, scope: scope)
        case .before(let id): return try newest(count, below: id, in: scopeID, scope: scope)
        case .after(let id): return try oldest(count, above: id, in: scopeID, scope: scope)
        }
    }

    /// The newest `count` messages with ids below `bound`, oldest first.
    private func newest(_ count: Int, below bound: Int64, in scopeID: Int64, scope: HistoryScope) throws(HistoryError) -> [HistoryEntry] {
        var newestFirst: [HistoryEntry] = []
        newestFirst.reserveCapacity(count)
        let statement = statements.newestBelow
        defer { statement.reset() }
        try statement.bind(1, scopeID)
        try statement.bind(2, bound)
        try statement.bind(3, Int64(count))
        while newestFirst.count < count, try statement.step() {
            try forEachMessage(of: statement, scope: scope, newestFirst: true, wanted: { $0 < bound }) { entry in
                newestFirst.append(entry)
                return newestFirst.count < count
            }
        }
        return newestFirst.reversed()
    }

    /// The oldest `count` messages with ids above `bound`, oldest first.
    private func oldest(_ count: Int, above bound: Int64, in scopeID: Int64, scope: HistoryScope) throws(HistoryError) -> [HistoryEntry] {
        guard bound < .max else { return [] }
        var start = bound + 1
        do {  // the segment that may hold bound + 1 starts at or below it
            let statement = statements.newestBelow
            defer { statement.reset() }
            try statement.bind(1, scopeID)
            try statement.bind(2, bound + 1)
            try statement.bind(3, 1)
            if try statement.step() { start = statement.int64(0) }
        }
        var entries: [HistoryEntry] = []
        entries.reserveCapacity(count)
        let statement = statements.oldestFrom
        defer { statement.reset() }
        try statement.bind(1, scopeID)
        try statement.bind(2, start)
        try statement.bind(3, Int64(count) + 1)
        while entries.count < count, try statement.step() {
            try forEachMessage(of: statement, scope: scope, newestFirst: false, wanted: { $0 > bound }) { entry in
                entries.append(entry)
                return entries.count < count
            }
        }
        return entries
    }

    /// Hands the `wanted` messages of the segment in `row` (columns: first id, time, count,
    /// body) to `take`, in the order asked, while it returns true.
    private func forEachMessage(of row: SQLiteStatement, scope: HistoryScope, newestFirst: Bool,
                                wanted: (Int64) -> Bool, _ take: (HistoryEntry) -> Bool) throws(HistoryError) {
        let firstID = row.int64(0), time = row.int64(1), count = row.int64(2)
        let body = row.textBytes(3)
        guard count >= 1, count <= SegmentBody.maximumMessages, firstID >= 1, firstID <= Self.largestStoredID, let lines = SegmentBody.lines(body, count: Int(count)) else {
            throw HistoryError(.corrupt, "history database \(path) is damaged: the segment of message \(firstID) "
                + "does not hold its \(count) messages")
        }
        for step in lines.indices {
            let index = newestFirst ? lines.count - 1 - step : step
            let id = firstID + Int64(index)
            guard wanted(id) else { continue }
            guard let entry = SegmentBody.entry(body, line: lines[index], id: id, time: time, scope: scope) else {
                throw HistoryError(.corrupt, "history database \(path) is damaged: message \(id) cannot be read")
            }
            guard take(entry) else { return }
        }
    }
}
