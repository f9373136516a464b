// SQLiteHistoryStore+Bookkeeping: the id counter and the per-scope message
// counts are not written by every transaction that stores messages (each
// write is one more b-tree page in the WAL: with them, a commit wrote five
// pages instead of two). They are written together, in the transaction that
// stores a batch, once `rowsPerWrite` rows or `transactionsPerWrite`
// transactions have gone by since the last time, and before every prune step
// and at close. What is on disk then always means: the counts are exact for
// every message whose id is below the stored counter, and the messages at or
// above it are counted again at start (`recountAfterCounter`, a range of the
// primary key: at most a few thousand messages after a crash; a segment never
// straddles the counter, which is written at a commit's end). Ids stay unique
// because the start takes the higher of the counter and the newest id (and
// skips on from there), and a prune step, the only deleter, writes the
// counter first. It holds no SQL of its own beyond that recount and decides
// no retention.
import ChatCore

/// Counts of stored messages not yet added to the scopes table, and how much has gone by since.
struct UncountedMessages {
    var byScope: [Int64: Int64] = [:]
    var rows = 0
    var transactions = 0

    var isEmpty: Bool { rows == 0 }

    mutating func add(_ counts: [Int64: Int64], rows added: Int) {
        byScope.merge(counts, uniquingKeysWith: +)
        rows += added
        transactions += 1
    }
}

extension SQLiteHistoryStore {
    /// Rows stored between two writes of the counter and the counts (also the most a start recounts).
    public static let rowsPerWrite = 4096
    /// Transactions between two writes of the counter and the counts.
    public static let transactionsPerWrite = 64

    /// Whether the transaction storing `rows` more rows should also write the counter and counts.
    func bookkeepingDue(adding rows: Int) -> Bool {
        uncounted.rows + rows >= Self.rowsPerWrite || uncounted.transactions + 1 >= Self.transactionsPerWrite
    }

    /// Inside the caller's transaction: adds the uncounted messages and `counts` to the scopes
    /// table and stores `nextID` as the counter. Call `bookkeepingWritten()` once it committed.
    func writeBookkeeping(nextID: Int64, adding counts: [Int64: Int64] = [:]) throws(HistoryError) {
        for (scopeID, count) in uncounted.byScope.merging(counts, uniquingKeysWith: +) where count != 0 {
            try run(statements.addToCount, scopeID, count)
        }
        try run(statements.writeNextID, nextID)
    }

    func bookkeepingWritten() {
        uncounted = UncountedMessages()
    }

    /// Writes the counter and counts in a transaction of their own if anything is uncounted
    /// (at close, so the next start recounts nothing).
    func writePendingBookkeeping() throws(HistoryError) {
        guard !uncounted.isEmpty else { return }
        try transaction { () throws(HistoryError) in try writeBookkeeping(nextID: nextID) }
        bookkeepingWritten()
    }

    /// Inside the caller's transaction at start: adds the messages with ids from `counter` on
    /// (stored after the last write of the counts, before a crash) to their scopes' counts.
    static func recountAfterCounter(_ counter: Int64, _ connection: SQLiteConnection,
                                    _ statements: HistoryStatements) throws(HistoryError) {
        let uncounted = try connection.prepare(
            "SELECT scope, sum(count) FROM segments WHERE first_id >= ?1 GROUP BY scope", doing: "recounting the newest messages")
        defer { uncounted.finalize() }
        try uncounted.bind(1, counter)
        var counts: [(Int64, Int64)] = []
        while try uncounted.step() {
            counts.append((uncounted.int64(0), uncounted.int64(1)))
        }
        for (scopeID, count) in counts {
            defer { statements.addToCount.reset() }
            try statements.addToCount.bind(1, scopeID)
            try statements.addToCount.bind(2, count)
            try statements.addToCount.run()
        }
    }
}
