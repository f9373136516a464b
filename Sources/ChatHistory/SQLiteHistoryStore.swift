// SQLiteHistoryStore: the embedded default HistoryStore, one SQLite file in
// WAL mode used by exactly one tlschatd (DatabaseLock). `append` stores a
// batch in one BEGIN IMMEDIATE ... COMMIT, a run of one scope per row
// (SegmentInserts), and only then returns the ids (consecutive, in batch
// order); reads (+Reads) page a room or conversation through its index with
// a LIMIT; pruning (+Pruning) deletes in bounded steps. Every call runs
// on the event loop thread and never waits for a lock (busy timeout 0). On any
// failure the transaction is rolled back, the error says why in one line
// (a full disk or file size limit is `.full`), and the next call tries again,
// so storage resumes by itself once space returns. The file (and through it
// its -wal and -shm, which SQLite creates with the database's mode) is created
// 0600. It does not decide what is stored, log, retry, or handle signals:
// SIGXFSZ must be ignored by the process for a file size limit to come back as
// an error instead of killing it.
import ChatCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class SQLiteHistoryStore: HistoryStore {
    /// What a commit waits for. `normal` (WAL, no sync at commit): a committed
    /// transaction survives a crash of the process; the last ones may be lost on a
    /// power failure or kernel crash. `full`: the WAL is synced at every commit, so
    /// a committed transaction also survives a power loss (on honest disks).
    public enum Synchronous: String, Sendable {
        case normal, full
    }

    /// The page sizes `messages(in:_:limit:)` accepts; other limits are clamped into it.
    public static let limitRange = 1...1000

    public let path: String
    let connection: SQLiteConnection
    let statements: HistoryStatements
    private let inserts: SegmentInserts
    /// The id the next stored message gets (ids of a batch that rolled back were never given out).
    private(set) var nextID: Int64
    /// Stored messages not yet in the scopes' counts (SQLiteHistoryStore+Bookkeeping).
    var uncounted = UncountedMessages()
    private let lock: DatabaseLock
    /// Checkpoints the WAL on its own thread (WALCheckpointer); nil: SQLite's automatic ones.
    private var checkpointer: WALCheckpointer?
    /// Scope ids already known, so the hot path skips a lookup (emptied when it grows large).
    var scopeIDs: [HistoryScope: Int64] = [:]
    static let maximumCachedScopes = 4096

    /// Opens or creates the history database at `path`. Throws `.locked` when another
    /// store holds it (in any process), `.corrupt` for a damaged or non-SQLite file,
    /// `.newerSchema` for a file of a newer tlschatd, `.failed` for anything else
    /// (unreadable, another program's database, ...), each with one line naming the file.
    public init(path: String, synchronous: Synchronous = .normal) throws(HistoryError) {
        self.path = path
        lock = try DatabaseLock(lockPath: path + ".lock", databasePath: path)
        try Self.createPrivately(path)
        connection = try SQLiteConnection(path: path)
        let isNew = try HistorySchema.open(connection, synchronous: synchronous.rawValue.uppercased())
        statements = try HistoryStatements(connection)
        inserts = SegmentInserts(connection)
        nextID = try Self.skipIDsGivenBeforeAnUnsyncedCrash(connection, statements, synchronous: synchronous, isNew: isNew)
        if WALCheckpointer.isPossible, let background = try? WALCheckpointer(path: path), background.start() {
            checkpointer = background
            // A backstop only: if the thread gets no CPU the WAL still stops at about 40 MB.
            try connection.execute("PRAGMA wal_autocheckpoint = 10000", doing: "handing checkpoints to their thread")
            try connection.execute("PRAGMA journal_size_limit = 67108864", doing: "limiting the WAL kept after a checkpoint")
        }
    }

    /// Ids skipped at every start: more than a server can give out between two syncs of the WAL.
    public static let idsSkippedAtStart: Int64 = 1_000_000
    /// The highest id (or counter) a healthy file holds: far beyond any real use, far enough
    /// below Int64.max that skipping at start and a segment's ids never overflow.
    static let largestStoredID: Int64 = Int64.max - (1 << 40)

    /// With synchronous=NORMAL a power failure can take back the last commits, and with them
    /// the id counter, so ids clients already saw would be given again. At every start the
    /// counter (the higher of the stored one and the newest message's id + 1) moves on by
    /// `idsSkippedAtStart` in a transaction synced to disk (FULL for this one commit): ids lost
    /// that way are never reused, as PROTOCOL.md promises. A database created by this start
    /// begins at 1; any other skips, even if it holds no message (ids given before a power
    /// loss may be gone from it). Returns the first id to give.
    private static func skipIDsGivenBeforeAnUnsyncedCrash(_ connection: SQLiteConnection, _ statements: HistoryStatements,
                                                          synchronous: Synchronous, isNew: Bool) throws(HistoryError) -> Int64 {
        let what = "moving the id counter past ids an unsynced crash may have lost"
        let counter: Int64
        do {
            defer { statements.readNextID.reset() }
            counter = try statements.readNextID.step() ? statements.readNextID.int64(0) : 1
        }
        let newest = try connection.prepare("SELECT first_id + count FROM segments ORDER BY first_id DESC LIMIT 1", doing: what)
        defer { newest.finalize() }
        let afterNewest = try newest.step() ? newest.int64(0) : 1
        // A damaged counter or id near the end of the range must not trap in the additions below.
        for value in [counter, afterNewest] where value < 1 || value > largestStoredID {
            throw HistoryError(.corrupt, "history database \(connection.path) is damaged: id counter or newest id \(value) "
                + "is outside 1...\(largestStoredID)")
        }
        let skipped = isNew ? 1 : max(counter, afterNewest) + idsSkippedAtStart
        try connection.execute("PRAGMA synchronous = FULL", doing: what)
        defer { try? connection.execute("PRAGMA synchronous = \(synchronous.rawValue.uppercased())", doing: what) }
        do {
            try connection.execute("BEGIN IMMEDIATE", doing: what)
            try recountAfterCounter(counter, connection, statements)
            defer { statements.writeNextID.reset() }
            try statements.writeNextID.bind(1, skipped)
            try statements.writeNextID.run()
            try connection.execute("COMMIT", doing: what)
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK", doing: what) }
            throw error
        }
        return skipped
    }

    deinit {
        try? writePendingBookkeeping()
        checkpointer?.stop()
        statements.finalizeAll()
        inserts.finalizeAll()
        connection.close()
    }

    public func append(_ entries: [HistoryEntry]) throws(HistoryError) -> [HistoryEntry] {
        guard !entries.isEmpty else { return [] }
        var newScopeIDs: [HistoryScope: Int64] = [:]
        var added: [Int64: Int64] = [:]
        var wroteBookkeeping = false
        let firstID = nextID
        try transaction { () throws(HistoryError) in
            added = try inserts.insert(entries, firstID: firstID) { scope throws(HistoryError) in
                try scopeID(scope, creating: &newScopeIDs)
            }
            if bookkeepingDue(adding: entries.count) {
                try writeBookkeeping(nextID: firstID + Int64(entries.count), adding: added)
                wroteBookkeeping = true
            }
        }
        nextID += Int64(entries.count)
        if wroteBookkeeping { bookkeepingWritten() } else { uncounted.add(added, rows: entries.count) }
        remember(newScopeIDs)
        var stored = entries
        for index in stored.indices { stored[index].id = firstID + Int64(index) }
        return stored
    }

    /// The size of the database and its WAL on disk, in bytes.
    public var databaseSizeBytes: Int64 {
        Self.fileSize(path) + Self.fileSize(path + "-wal")
    }

    /// Copies the WAL into the database and truncates it (PRAGMA wal_checkpoint(TRUNCATE)).
    /// Returns false if a reader (e.g. a backup in another process) kept it from completing.
    /// For tests and operations, not the loop: it retries for up to 0.2 s while busy (the
    /// background checkpointer may be in the middle of a round).
    @discardableResult
    public func checkpoint() throws(HistoryError) -> Bool {
        let statement = try connection.prepare("PRAGMA wal_checkpoint(TRUNCATE)", doing: "checkpointing")
        defer { statement.finalize() }
        for attempt in 0..<20 {
            if attempt > 0 { usleep(10_000) }
            guard try statement.step() else { return true }
            let busy = statement.int64(0) != 0
            statement.reset()
            if !busy { return true }
        }
        return false
    }

    /// The statements whose plan matters for speed, for `queryPlan(of:)`.
    public enum PlannedQuery: CaseIterable, Sendable {
        /// `.latest` and `.before(id)`: the newest segments of a scope below an id.
        case pageBack
        /// `.after(id)`: the oldest segments of a scope from an id on.
        case catchUp
        /// The oldest segments of the whole history.
        case pruneByAge
        /// The oldest segments of one scope, and deleting them.
        case pruneByCount
        case deleteOldestOfScope
        /// Finding the rooms and conversations over the per-scope limit.
        case overfullScopes
    }

    /// SQLite's plan for a statement (EXPLAIN QUERY PLAN), one step per line, e.g.
    /// "SEARCH segments USING INDEX segments_by_scope (scope=? AND rowid<?)".
    public func queryPlan(of query: PlannedQuery) throws(HistoryError) -> String {
        let sql = switch query {
        case .pageBack: HistoryStatements.newestBelowSQL
        case .catchUp: HistoryStatements.oldestFromSQL
        case .pruneByAge: HistoryStatements.oldestSegmentsSQL
        case .pruneByCount: HistoryStatements.oldestOfScopeSQL
        case .deleteOldestOfScope: HistoryStatements.deleteOldestOfScopeSQL
        case .overfullScopes: HistoryStatements.overfullScopesSQL
        }
        let statement = try connection.prepare("EXPLAIN QUERY PLAN " + sql, doing: "explaining a query")
        defer { statement.finalize() }
        var lines: [String] = []
        while try statement.step() {
            lines.append(statement.text(3) ?? "")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Transactions and rows

    /// Runs `body` between BEGIN IMMEDIATE and COMMIT; on any error rolls back (unless
    /// SQLite already did) and rethrows, leaving the connection ready for the next call.
    func transaction(_ body: () throws(HistoryError) -> Void) throws(HistoryError) {
        do {
            try run(statements.begin)
            try body()
            try run(statements.commit)
        } catch {
            if connection.isInTransaction {
                try? run(statements.rollback)
            }
            throw error
        }
    }

    /// Binds `values` to `statement`, steps it to the end and resets it.
    func run(_ statement: SQLiteStatement, _ values: Int64...) throws(HistoryError) {
        defer { statement.reset() }
        for (index, value) in values.enumerated() {
            try statement.bind(Int32(index + 1), value)
        }
        try statement.run()
    }

    // MARK: - Files

    /// Creates the database file with mode 0600 before SQLite opens it (SQLite then gives
    /// -wal and -shm the same mode); an existing file keeps its mode. Refuses unreadable files.
    private static func createPrivately(_ path: String) throws(HistoryError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw HistoryError(.failed, "history database \(path): cannot open: \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    private static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
