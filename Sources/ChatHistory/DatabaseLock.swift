// DatabaseLock: makes sure exactly one tlschatd uses a history database. It
// takes an exclusive, non-blocking flock(2) on the lock file `DATABASE.lock`
// (created 0600 next to the database, left in place afterwards) and writes the
// holder's pid into it, so a second server (or a second store in the same
// process: flock locks belong to the open file, not the process) is refused
// at once with the holder's pid. Closing the descriptor (deinit) releases it,
// and so does the death of the process, even by SIGKILL. A separate file is
// used rather than the database itself because SQLite's own fcntl locks on
// the database must not be disturbed (on NFS flock is emulated with fcntl).
// It does not protect against processes that open the database without it.
import ChatCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class DatabaseLock {
    let path: String
    private let descriptor: Int32

    /// Locks `lockPath` for the database `databasePath` (named in the error lines).
    init(lockPath: String, databasePath: String) throws(HistoryError) {
        path = lockPath
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw HistoryError(.failed, "history database \(databasePath): cannot open lock file \(lockPath): \(Self.errnoText())")
        }
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        guard result == 0 else {
            let failure = errno
            let holder = Self.recordedPID(fd)
            close(fd)
            if failure == EWOULDBLOCK {
                let who = holder.map { " (pid \($0))" } ?? ""
                throw HistoryError(.locked, "history database \(databasePath) is in use by another tlschatd\(who); lock file \(lockPath)")
            }
            throw HistoryError(.failed, "history database \(databasePath): cannot lock \(lockPath): \(Self.errnoText(failure))")
        }
        descriptor = fd
        let line = Array("\(getpid())\n".utf8)
        // The pid is only informative: a failed write (disk full) does not stop the server.
        if ftruncate(fd, 0) == 0 {
            _ = line.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
    }

    deinit {
        close(descriptor)
    }

    /// The pid the holder wrote into the lock file, if it is readable.
    private static func recordedPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return Int32(text.split(separator: "\n").first ?? "")
    }

    private static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}
