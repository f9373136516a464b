// FileWatcher: tells the loop, once a burst of changes has settled, that one
// of a few files may have changed. It uses inotify on the DIRECTORIES that
// hold the files, not on the files: a file replaced by rename (editors,
// `mv new old`) or a symlink swapped (certbot's live/ -> archive/ layout,
// Kubernetes' ..data) leaves a watch on the old inode blind, while its
// directory sees the new entry. For a symlink, the directory of its final
// target is watched too (an in-place write of the target is seen there);
// `refreshWatches` re-resolves the targets after they moved. Events are
// debounced: `onChange` runs once, `debounce` after the last event, on the
// loop thread. It does not read or compare the files (callers decide whether
// anything they care about changed) and does not follow renames of the
// watched directories themselves.
#if canImport(Glibc)
import Glibc
#endif
internal import CLinuxShim

public final class FileWatcher: LoopHandler {
    private let loop: EventLoop
    private let paths: [String]
    private let debounce: Duration
    private let onChange: () -> Void
    private var descriptor: Int32
    private var registration: LoopRegistration?
    private var watches: [String: Int32] = [:]  // directory -> watch descriptor
    private var pending: LoopTimer?

    /// Entries of a directory whose arrival, departure or rewrite can change a watched file.
    static let mask = UInt32(IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
    /// At most this many directories are watched (a bound on symlink chains and descriptors).
    static let maximumDirectories = 32

    public init(loop: EventLoop, paths: [String], debounce: Duration = .milliseconds(200),
                onChange: @escaping () -> Void) throws(Errno) {
        self.loop = loop
        self.paths = paths
        self.debounce = debounce
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

    /// The directories to watch: each path's own directory and its symlink target's.
    static func directories(for paths: [String]) -> [String] {
        var result: [String] = []
        for path in paths {
            for candidate in [path, resolved(path)].compactMap({ $0 }) {
                let directory = parent(of: candidate)
                if !result.contains(directory) { result.append(directory) }
            }
        }
        return Array(result.prefix(maximumDirectories))
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    /// Watches the directories the paths (and their symlink targets) are in now; stops watching
    /// directories no longer needed. A directory that cannot be watched (missing) throws.
    public func refreshWatches() throws(Errno) {
        let wanted = Self.directories(for: paths)
        for (directory, watch) in watches where !wanted.contains(directory) {
            _ = inotify_rm_watch(descriptor, watch)
            watches[directory] = nil
        }
        for directory in wanted where watches[directory] == nil {
            watches[directory] = try checkedSyscall { inotify_add_watch(descriptor, directory, Self.mask) }
        }
    }

    /// The directories being watched, for logs and tests.
    public var watchedDirectories: [String] { watches.keys.sorted() }

    public func loopWritable() {}

    public func loopReadable() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var sawEvent = false
        // Only "something happened" matters, so the events themselves are not parsed.
        while case .done(let count)? = try? buffer.withUnsafeMutableBytes({ raw throws(Errno) in
            try retryingSyscall { Glibc.read(descriptor, raw.baseAddress, raw.count) }
        }), count > 0 {
            sawEvent = true
        }
        guard sawEvent else { return }
        pending?.cancel()
        pending = loop.schedule(after: debounce) { [unowned self] in
            pending = nil
            onChange()
        }
    }

    /// Stops watching. Safe to call twice.
    public func close() {
        pending?.cancel()
        pending = nil
        if let registration { loop.deregister(registration) }
        registration = nil
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
        watches = [:]
    }
}
