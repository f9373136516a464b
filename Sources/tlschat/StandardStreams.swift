// StandardStreams: unbuffered writes to stdout and stderr with write(2), and
// the local time stamp. Swift 6 rejects the C `stdout`/`stderr` globals under
// strict concurrency, and we want every line out at once anyway. A terminal's
// stdout may share a non-blocking file description with stdin (we set
// O_NONBLOCK on fd 0), so "would block" waits with poll(2) instead of losing
// output. Nothing here buffers or formats beyond the time stamp (and the
// local clock that shows the stored times of past messages).
#if canImport(Glibc)
import Glibc
#endif
import ChatClient

enum StandardStreams {
    /// Writes all of `text` to stdout.
    static func output(_ text: String) { writeAll(1, text) }

    /// Writes "tlschat: TEXT\n" to stderr.
    static func diagnostic(_ text: String) { writeAll(2, "tlschat: \(text)\n") }

    /// Writes all of `text` to `descriptor`, waiting out EAGAIN and retrying EINTR.
    /// Gives up silently if the descriptor is gone (EPIPE, EBADF...): there is nowhere to report it.
    static func writeAll(_ descriptor: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 { offset += written; continue }
                let error = errno
                if error == EINTR { continue }
                guard error == EAGAIN || error == EWOULDBLOCK else { return }
                var pending = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pending, 1, 1000)
            }
        }
    }

    /// The local time as "HH:MM:SS".
    static func localTime() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    /// The local time zone of the C library (TZ, /etc/localtime), for the times of past messages.
    static let localClock = LocalClock(utcOffset: { seconds in
        var moment = time_t(seconds)
        var parts = tm()
        localtime_r(&moment, &parts)
        return Int(parts.tm_gmtoff)
    }, now: { Int(time(nil)) })
}
