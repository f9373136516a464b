// SQLiteHistoryStore+Pruning: retention in bounded steps. One call deletes at
// most `maximumRows` messages (or one segment, when a single segment holds
// more) in one transaction: first the oldest segments (HistorySchema) older
// than the age limit, among the `maximumRows` oldest ids (ids are given in
// time order, so this walks the start of the table, no index on time; a
// segment's messages share one time, so it goes whole), then, with what is
// left of the budget, the oldest messages of each room or conversation that
// holds more than `keepPerScope` (found through the per-scope message counts
// the store keeps, then the index on scope: no counting, no table scan),
// largest excess first. Those go as whole segments, and the oldest segment
// still kept loses its first messages when only part of it is beyond the
// limit (`trimSegment`), so a room keeps exactly `keepPerScope`. The caller
// (the server's timer) calls again while a call returns its full budget. It
// does not choose the limits or the schedule.
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

    /// Deletes the oldest segments with a time below `time`: at most `maximumRows` messages, or
    /// the first such segment when it alone holds more.
    private func deleteOld(before time: Int64, maximumRows: Int) throws(HistoryError) -> Int {
        var chosen: [(firstID: Int64, scopeID: Int64, count: Int)] = []
        var deleted = 0
        do {
            let statement = statements.oldestSegments
            defer { statement.reset() }
            try statement.bind(1, Int64(maximumRows))
            while deleted < maximumRows, try statement.step() {
                guard statement.int64(2) < time else { continue }
                let count = Int(statement.int64(3))
                guard chosen.isEmpty || deleted + count <= maximumRows else { break }
                chosen.append((statement.int64(0), statement.int64(1), count))
                deleted += count
            }
        }
        var removed: [Int64: Int64] = [:]
        for segment in chosen {
            try run(statements.deleteSegment, segment.firstID)
            removed[segment.scopeID, default: 0] += Int64(segment.count)
        }
        for (scopeID, count) in removed {
            try run(statements.addToCount, scopeID, -count)
        }
        return deleted
    }

    /// Deletes at most `maximumRows` messages in total, the oldest of each scope beyond its
    /// newest `keep`: whole segments, then the start of the oldest segment kept.
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
            let asked = min(excess, Int64(maximumRows - deleted))
            var oldest: [(firstID: Int64, count: Int64)] = []
            do {
                let statement = statements.oldestOfScope
                defer { statement.reset() }
                try statement.bind(1, scopeID)
                try statement.bind(2, asked + 1)
                while try statement.step() { oldest.append((statement.int64(0), statement.int64(1))) }
            }
            // Fewer segments than asked for: these are all of the scope's, so its true size is
            // known (its count may be wrong if rows were deleted by hand) and is written back.
            let whole = oldest.count <= asked
            let size = oldest.reduce(0) { $0 + $1.count }
            let allowed = whole ? min(asked, max(size - Int64(keep), 0)) : asked
            var removed: Int64 = 0, lastRemoved: Int64?
            for segment in oldest {
                if removed + segment.count <= allowed {
                    removed += segment.count
                    lastRemoved = segment.firstID
                    continue
                }
                if removed < allowed {  // part of this segment is beyond the limit
                    try trimSegment(segment.firstID, count: segment.count, dropping: allowed - removed)
                    removed = allowed
                }
                break
            }
            if let lastRemoved { try run(statements.deleteOldestOfScope, scopeID, lastRemoved) }
            if whole {
                try run(statements.setCount, scopeID, size - removed)
            } else {
                try run(statements.addToCount, scopeID, -removed)
            }
            deleted += Int(removed)
        }
        return deleted
    }

    /// Removes the first `dropped` messages of the segment starting at `firstID` (holding
    /// `count`): the row then starts `dropped` ids later with the rest of its body.
    private func trimSegment(_ firstID: Int64, count: Int64, dropping dropped: Int64) throws(HistoryError) {
        var offset = 0
        do {
            let statement = statements.segmentBody
            defer { statement.reset() }
            try statement.bind(1, firstID)
            guard try statement.step() else { return }
            let body = statement.textBytes(0)
            guard let lines = SegmentBody.lines(body, count: Int(count)), Int(dropped) < lines.count else {
                throw HistoryError(.corrupt, "history database \(path) is damaged: the segment of message \(firstID) "
                    + "does not hold its \(count) messages")
            }
            offset = lines[Int(dropped)].lowerBound
        }
        try run(statements.trimSegment, firstID, firstID + dropped, dropped, Int64(offset) + 1)
    }
}
