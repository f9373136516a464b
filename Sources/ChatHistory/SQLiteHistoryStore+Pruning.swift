// SQLiteHistoryStore+Pruning: retention in bounded steps. One call deletes at
// most `maximumRows` rows in one transaction: first the oldest messages older
// than the age limit (among the `maximumRows` oldest ids: ids are given in
// time order, so this walks the start of the table, no index on time), then, with what is
// left of the budget, the oldest messages of each room or conversation that
// holds more than `keepPerScope` (found through the per-scope message counts
// the store keeps, then the index on scope: no counting, no table scan).
// The caller (the server's timer) calls again while a call returns its full
// budget. It does not choose the limits or the schedule.
import ChatCore

extension SQLiteHistoryStore {
    public func pruneStep(olderThan: Int64?, keepPerScope: Int?, maximumRows: Int) throws(HistoryError) -> Int {
        guard maximumRows > 0, olderThan != nil || keepPerScope != nil else { return 0 }
        var deleted = 0
        try transaction { () throws(HistoryError) in
            deleted = 0
            try writeBookkeeping(nextID: nextID)  // exact counts to subtract from; the counter before any delete
            if let olderThan {
                deleted += try deleteOld(before: olderThan, maximumRows: maximumRows)
            }
            if let keepPerScope, deleted < maximumRows {
                deleted += try deleteBeyond(keep: max(keepPerScope, 0), maximumRows: maximumRows - deleted)
            }
        }
        bookkeepingWritten()
        return deleted
    }

    /// Deletes up to `maximumRows` of the oldest messages with a time below `time`.
    private func deleteOld(before time: Int64, maximumRows: Int) throws(HistoryError) -> Int {
        let removed = try deletedScopes(statements.deleteOlderThan, time, Int64(maximumRows))
        for (scopeID, count) in removed {
            try run(statements.addToCount, scopeID, -Int64(count))
        }
        return removed.values.reduce(0, +)
    }

    /// Deletes up to `maximumRows` messages in total, the oldest of each scope beyond its newest `keep`.
    private func deleteBeyond(keep: Int, maximumRows: Int) throws(HistoryError) -> Int {
        var overfull: [(scopeID: Int64, excess: Int64)] = []
        do {
            let statement = statements.overfullScopes
            defer { statement.reset() }
            try statement.bind(1, Int64(keep))
            try statement.bind(2, Int64(maximumRows))
            while try statement.step() {
                overfull.append((statement.int64(0), statement.int64(1)))
            }
        }
        var deleted = 0
        for (scopeID, excess) in overfull where deleted < maximumRows {
            let asked = min(Int(excess), maximumRows - deleted)
            let removed = try deletedScopes(statements.deleteOldestOfScope, scopeID, Int64(asked))[scopeID] ?? 0
            if removed < asked {
                // Fewer rows than the count said (rows deleted by hand): the scope is empty now.
                try run(statements.setCount, scopeID, 0)
            } else {
                try run(statements.addToCount, scopeID, -Int64(removed))
            }
            deleted += removed
        }
        return deleted
    }

    /// Runs a DELETE ... RETURNING scope statement; how many rows it deleted per scope.
    private func deletedScopes(_ statement: SQLiteStatement, _ first: Int64, _ limit: Int64) throws(HistoryError) -> [Int64: Int] {
        defer { statement.reset() }
        try statement.bind(1, first)
        try statement.bind(2, limit)
        var removed: [Int64: Int] = [:]
        while try statement.step() {
            removed[statement.int64(0), default: 0] += 1
        }
        return removed
    }
}
