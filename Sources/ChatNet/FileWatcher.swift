// FileWatcher: tells the loop, once a burst of changes has settled, that one
// of a few files may have changed. It uses inotify on the DIRECTORIES that
// hold the files, not on the files: a file replaced by rename (editors,
// `mv new old`) or a symlink swapped (certbot's live/ -> archive/ layout,
// Kubernetes' ..data) leaves a watch on the old inode blind, while its
// directory sees the new entry. Which directories and which entry names
// matter is FileWatchTargets' answer (symlink hops and targets included);
// events about other names in those directories (a log, a database's -wal)
// are ignored. Watches are kept by watch descriptor (inotify's key, one per
// inode); a watched directory that goes away (IN_IGNORED) is dropped and
// watched again once it is back: the watch set is refreshed after every
// relevant batch, and a directory that cannot be watched is retried every
// second (its return counts as a change). Events are debounced: `onChange`
// runs `debounce` after the last event of a burst but never later than
// `maximumDelay` after its first, on the loop thread. It does not read or
// compare the files (callers decide whether anything they care about changed)
// and does not follow renames of the watched directories themselves.
#if canImport(Glibc)
import Glibc
#endif
internal import CLinuxShim

public final class FileWatcher: LoopHandler {
    private let loop: EventLoop
    private let paths: [String]
    private let debounce: Duration
    private let maximumDelay: Duration
    private let onChange: () -> Void
    private var descriptor: Int32
    private var registration: LoopRegistration?
    /// Watch descriptor -> (canonical directory, the entry names in it that matter).
    private var watches: [Int32: (directory: String, names: Set<String>)] = [:]
    private var pending: LoopTimer?
    private var burstStartedAt: UInt64 = 0
    private var retry: LoopTimer?
    /// Directories that could not be watched at the last refresh (gone, or out of inotify watches).
    public private(set) var unwatchedDirectories: [String] = []

    /// Entries of a directory whose arrival, departure or rewrite can change a watched file.
    static let mask = UInt32(IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
    /// At most this many directories are watched (a bound on symlink chains and descriptors).
    static let maximumDirectories = 32

    public init(loop: EventLoop, paths: [String], debounce: Duration = .milliseconds(200),
                maximumDelay: Duration = .seconds(1), onChange: @escaping () -> Void) throws(Errno) {
        self.loop = loop
        self.paths = paths
        self.debounce = debounce
        self.maximumDelay = maximumDelay
        self.onChange = onChange
        descriptor = try checkedSyscall { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        do {
            registration = try loop.register(descriptor: descriptor, interest: .read, handler: self)
            try refreshWatches()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Watches the directories that matter now and stops watching the others. Directories that
    /// cannot be watched are retried every second; the first such error is thrown (after
    /// everything else was done). Returns whether a directory was newly watched.
    @discardableResult
    public func refreshWatches() throws(Errno) -> Bool {
        guard descriptor >= 0 else { return false }
        let targets = FileWatchTargets(paths: paths, limit: Self.maximumDirectories)
        for (watch, entry) in watches where targets.names[entry.directory] == nil {
            _ = inotify_rm_watch(descriptor, watch)
            watches[watch] = nil
        }
        var failure: Errno?
        var added = false
        unwatchedDirectories = []
        for directory in targets.directories {
            let names = targets.names[directory] ?? []
            if let watch = watches.first(where: { $0.value.directory == directory })?.key {
                watches[watch]?.names = names
                continue
            }
            do {
                let watch = try checkedSyscall { inotify_add_watch(descriptor, directory, Self.mask) }
                // The same inode reached by another path (a bind mount) shares the descriptor.
                watches[watch] = (directory, names.union(watches[watch]?.names ?? []))
                added = true
            } catch {
                unwatchedDirectories.append(directory)
                if failure == nil { failure = error }
            }
        }
        scheduleRetry()
        if let failure { throw failure }
        return added
    }

    private func scheduleRetry() {
        guard !unwatchedDirectories.isEmpty else {
            retry?.cancel()
            retry = nil
            return
        }
        guard retry == nil else { return }
        retry = loop.scheduleRepeating(every: .seconds(1)) { [unowned self] in
            // A directory that is back may already hold the new files: that is a change.
            if (try? refreshWatches()) == true { changed() }
        }
    }

    /// The directories being watched, for logs and tests.
    public var watchedDirectories: [String] { watches.values.map(\.directory).sorted() }

    public func loopWritable() {}

    public func loopReadable() {
        var buffer = [UInt8](repeating: 0, count: 8192)
        var relevant = false
        while case .done(let count)? = try? buffer.withUnsafeMutableBytes({ raw throws(Errno) in
            try retryingSyscall { Glibc.read(descriptor, raw.baseAddress, raw.count) }
        }), count > 0 {
            if inspect(buffer[..<count]) { relevant = true }
        }
        guard relevant else { return }
        _ = try? refreshWatches()
        changed()
    }

    /// Whether a batch of `struct inotify_event`s touches a watched name; drops watches
    /// the kernel removed (IN_IGNORED: the directory is gone).
    private func inspect(_ events: ArraySlice<UInt8>) -> Bool {
        var relevant = false
        var offset = events.startIndex
        let header = 16  // int wd; uint32_t mask, cookie, len
        while offset + header <= events.endIndex {
            func word(_ at: Int) -> UInt32 {
                (0..<4).reduce(0) { $0 | UInt32(events[offset + at + $1]) << (8 * $1) }  // little-endian hosts
            }
            let watch = Int32(bitPattern: word(0)), mask = word(4), length = Int(word(12))
            let end = min(offset + header + length, events.endIndex)
            let name = String(decoding: events[(offset + header)..<end].prefix { $0 != 0 }, as: UTF8.self)
            if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                relevant = true
            } else if mask & UInt32(IN_IGNORED) != 0 {
                if watches.removeValue(forKey: watch) != nil { relevant = true }
            } else if let entry = watches[watch], entry.names.contains(name) {
                relevant = true
            }
            offset = end
        }
        return relevant
    }

    /// Starts or extends the debounce: `debounce` after this event, at most `maximumDelay` after the first.
    private func changed() {
        let now = MonotonicClock.now()
        if pending == nil { burstStartedAt = now }
        let latest = burstStartedAt + maximumDelay.nanoseconds
        let delay = min(debounce.nanoseconds, latest > now ? latest - now : 0)
        pending?.cancel()
        pending = loop.schedule(after: .nanoseconds(Int64(delay))) { [unowned self] in
            pending = nil
            onChange()
        }
    }

    /// Stops watching. Safe to call twice.
    public func close() {
        pending?.cancel()
        pending = nil
        retry?.cancel()
        retry = nil
        if let registration { loop.deregister(registration) }
        registration = nil
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
        watches = [:]
    }
}
