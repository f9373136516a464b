// HistoryKeeper: the server's side of durable history. It takes the store
// (SQLite in ChatHistory, opened by `openSQLite`; JetStream in cluster mode,
// opened by ClusterJoiner), hands it to the chat core, and drives it from the
// event loop: every iteration, before output is flushed, it commits what the
// core staged (group commit: one transaction for all messages accepted in
// the iteration, so their OK replies leave in that same flush; a store that
// completes later answers in a later iteration, and what is staged meanwhile
// waits for the next batch); once a
// second it runs one bounded retention step (more steps follow quickly while
// there is a backlog, never enough to stall the loop). Store failures never
// stop the chat (the core delivers live and tells senders `unstored`); they
// are logged at most once a minute, and the first success after them is
// logged too. Each batch's time (handed to the store until it completes) and
// each failed batch are counted in ServerMetrics. It does not decide what is
// stored (the core does) or parse options (ServerConfiguration does).
import ChatCore
import ChatHistory
import ChatNet
import Logging
#if canImport(Glibc)
import Glibc
#endif

final class HistoryKeeper {
    struct Settings {
        var path: String
        var synchronous: SQLiteHistoryStore.Synchronous
        var maximumAgeSeconds: Int?
        var maximumMessagesPerRoom: Int?
    }

    static let pruneRowsPerStep = 500
    let store: any HistoryStore
    /// Where the history is, for log lines ("file" or "stream" and its name).
    private let place: (key: String, value: String)
    private let settings: Settings
    private let core: ChatServerCore
    private let logger: Logger
    private var pruneTimer: LoopTimer?
    private var lastFailureLog: UInt64?
    private var suppressedFailures = 0
    /// A commit failed since the last one that worked (reads and pruning do not count).
    private var writeFailing = false
    private let metrics: ServerMetrics?
    /// When the batch now being stored was handed over (MonotonicClock), for the commit-time histogram.
    private var batchStartedAt: UInt64?

    /// Opens the SQLite history at `settings.path` (creating the directories above it).
    static func openSQLite(_ settings: Settings) throws -> SQLiteHistoryStore {
        do {
            try Self.createDirectories(above: settings.path)
            return try SQLiteHistoryStore(path: settings.path, synchronous: settings.synchronous)
        } catch {
            throw ServiceError("history \(settings.path): \(error.description)")
        }
    }

    /// `place`: ("file", path) or ("stream", name), for the log. `settings.path` is only
    /// used for SQLite; retention runs through `pruneStep` (a stream's own limits make it a no-op).
    init(store: any HistoryStore, place: (key: String, value: String), settings: Settings, core: ChatServerCore,
         loop: EventLoop, logger: Logger, metrics: ServerMetrics? = nil) throws {
        do {
            core.history = store
            try core.loadCertificateOnlyMarks()
        } catch {
            throw ServiceError("history \(place.value): \(error.description)")
        }
        self.store = store
        self.place = place
        self.settings = settings
        self.core = core
        self.logger = logger
        self.metrics = metrics
        core.historyFailed = { [unowned self] error in failed(error) }
        core.batchFinished = { [unowned self] stored in
            if stored && writeFailing { logger.notice("history: storing again", metadata: [place.key: "\(place.value)"]) }
            writeFailing = !stored
            countBatch(stored: stored, stagedBehind: self.core.hasStagedMessages)  // not `core`: the core holds this closure
        }
        core.wallClock = { Self.wallClockMilliseconds() }
        loop.addBeforeFlushHook { [unowned self, unowned core, unowned loop] in
            // A batch still in flight (a store that completes later) is left alone: its
            // completion wakes the loop, and this hook then commits what was staged meanwhile.
            guard core.hasStagedMessages else { return }
            if batchStartedAt == nil { batchStartedAt = MonotonicClock.now() }
            if core.commitStaged(nowMilliseconds: Self.wallClockMilliseconds()) {
                _ = loop.schedule(after: .zero) {}  // more is staged: the next iteration must not sleep
            }
        }
        if settings.maximumAgeSeconds != nil || settings.maximumMessagesPerRoom != nil {
            pruneTimer = loop.scheduleRepeating(every: .seconds(1)) { [unowned self] in prune() }
        }
        logger.info("history", metadata: place.key == "file" ? [place.key: "\(place.value)", "sync": "\(settings.synchronous)"]
                                                           : [place.key: "\(place.value)"])
    }

    func close() {
        pruneTimer?.cancel()
        pruneTimer = nil
    }

    /// One batch completed: its time into the histogram, a failure counted. A batch staged
    /// behind it starts now (the next round of the same commit, or the next hook).
    private func countBatch(stored: Bool, stagedBehind: Bool) {
        guard let metrics else { return }
        let now = MonotonicClock.now()
        if let started = batchStartedAt { metrics.historyCommitTimes.observe(nanoseconds: now &- started) }
        if !stored { metrics.historyCommitFailures += 1 }
        batchStartedAt = stagedBehind ? now : nil
    }

    /// A few bounded retention steps (each at most `pruneRowsPerStep` rows).
    private func prune() {
        let olderThan = settings.maximumAgeSeconds.map { Self.wallClockMilliseconds() - Int64($0) * 1000 }
        for _ in 0..<4 {
            do {
                let deleted = try store.pruneStep(olderThan: olderThan, keepPerScope: settings.maximumMessagesPerRoom,
                                                  maximumRows: Self.pruneRowsPerStep)
                if deleted < Self.pruneRowsPerStep { return }
            } catch {
                return failed(error)
            }
        }
    }

    /// Logs a store failure, at most one line a minute (with how many were not logged).
    private func failed(_ error: HistoryError) {
        let now = MonotonicClock.now()
        if let last = lastFailureLog, now - last < 60_000_000_000 {
            suppressedFailures += 1
            return
        }
        var metadata: Logger.Metadata = [place.key: "\(place.value)", "error": "\(error.description)"]
        if suppressedFailures > 0 { metadata["not-logged-since-last"] = "\(suppressedFailures)" }
        logger.error("history: not stored (chat goes on; messages are delivered and senders told 'unstored')", metadata: metadata)
        lastFailureLog = now
        suppressedFailures = 0
    }

    /// mkdir -p (mode 0700) of the directories above `path`, for the default location.
    static func createDirectories(above path: String) throws(HistoryError) {
        var components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        guard !components.isEmpty else { return }
        var current = path.hasPrefix("/") ? "" : "."
        if path.hasPrefix("/") { components = components.dropFirst() }
        for component in components where !component.isEmpty {
            current += "/" + component
            if mkdir(current, 0o700) != 0 {
                let error = Errno.current
                if error.rawValue != EEXIST { throw HistoryError(.failed, "cannot create directory \(current): \(error)") }
            }
        }
    }

    static func wallClockMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
