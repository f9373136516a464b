// WALCheckpointer: copies the history database's WAL back into the database
// on a thread of its own, so that the event loop never does it. This is the
// one place a helper thread is allowed: a checkpoint is a blocking library
// call (SQLite writes up to thousands of pages and fsyncs the database file),
// and left to SQLite's automatic checkpoint it runs inside the commit of
// whichever loop iteration crosses 1,000 WAL pages, holding every client for
// its duration. The thread has its own SQLite connection (used only by it),
// runs at SCHED_IDLE (on a core it shares with the loop, as in a pinned
// benchmark, it uses the loop's idle time instead of preempting it), and runs
// a PASSIVE checkpoint four times a second: PASSIVE never waits for and never
// blocks the writer or readers, it copies what it can. While this thread
// runs, the store's connection keeps SQLite's automatic checkpoint only as a
// backstop (at 10,000 pages, about 40 MB of WAL) for when the thread gets no
// CPU. It does not read or write messages, and it ignores its own failures
// (the next round tries again).
internal import CSQLite
import ChatCore
#if canImport(Glibc)
import Glibc
#endif

final class WALCheckpointer: @unchecked Sendable {
    /// Between rounds, in milliseconds.
    static let interval = 250
    private let connection: SQLiteConnection
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var stopping = false  // guarded by mutex
    private var thread: pthread_t?

    /// Opens the checkpointer's own connection; `start` runs the thread.
    init(path: String) throws(HistoryError) {
        connection = try SQLiteConnection(path: path)
        // One read, so this connection knows the file is in WAL mode (a checkpoint on a
        // connection that never read it does nothing and says so with -1 frames).
        try connection.execute("SELECT count(*) FROM sqlite_master", doing: "opening the checkpoint connection")
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)  // a wall-clock step never delays a round
        pthread_cond_init(&wake, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        stop()
        pthread_cond_destroy(&wake)
        pthread_mutex_destroy(&mutex)
    }

    /// True when the SQLite library may be used from two threads (each with its own connection).
    static var isPossible: Bool { sqlite3_threadsafe() != 0 }

    /// Starts the thread; false if it could not be created (then leave automatic checkpoints on).
    func start() -> Bool {
        var created = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        // The thread starts with every signal blocked, so a process signal (SIGTERM, SIGHUP)
        // always goes to the event loop's thread, whose SignalWatcher reads it; delivered here
        // instead, its default action would end the server without a clean shutdown.
        var all = sigset_t(), previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        guard pthread_create(&created, nil, { argument in
            let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(argument!).takeRetainedValue()
            checkpointer.run()
            return nil
        }, context) == 0 else {
            Unmanaged<WALCheckpointer>.fromOpaque(context).release()
            return false
        }
        thread = created
        return true
    }

    /// Stops the thread and waits for it (at most one checkpoint round).
    func stop() {
        guard let thread else { return }
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_signal(&wake)
        pthread_mutex_unlock(&mutex)
        pthread_join(thread, nil)
        self.thread = nil
        connection.close()
    }

    private func run() {
        // The lowest priority: where this thread shares a core with the event loop (a pinned
        // server), it runs in the loop's idle time instead of preempting it.
        var parameters = sched_param()
        _ = pthread_setschedparam(pthread_self(), 5 /* SCHED_IDLE, not imported into Swift */, &parameters)
        pthread_mutex_lock(&mutex)
        while !stopping {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let nanoseconds = deadline.tv_nsec + Self.interval * 1_000_000
            deadline.tv_sec += nanoseconds / 1_000_000_000
            deadline.tv_nsec = nanoseconds % 1_000_000_000
            pthread_cond_timedwait(&wake, &mutex, &deadline)
            if stopping { break }
            pthread_mutex_unlock(&mutex)
            var logFrames: Int32 = 0, copiedFrames: Int32 = 0
            _ = sqlite3_wal_checkpoint_v2(connection.database, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames)
            pthread_mutex_lock(&mutex)
        }
        pthread_mutex_unlock(&mutex)
    }
}
