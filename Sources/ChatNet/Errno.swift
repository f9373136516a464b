// Errno: a typed POSIX error number, and the single place where `-1 + errno`
// from a system call becomes a Swift value.
//
// Every syscall in ChatNet goes through `retryingSyscall`: EINTR is retried,
// EAGAIN/EWOULDBLOCK become `IOResult.wouldBlock` (the one "would block"
// convention that TLS shares, see `IOResult`), anything else throws `Errno`.
// This file does not decide what an error means for a connection; callers do.
#if canImport(Glibc)
import Glibc
#endif
internal import CLinuxShim

/// A POSIX error number. The static members name the C constants they map to.
public struct Errno: Error, Equatable, Hashable, RawRepresentable, CustomStringConvertible, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current `errno`.
    public static var current: Errno { Errno(rawValue: CLinuxShim_errno()) }

    /// Sets `errno` to 0, before a library call (OpenSSL) that may or may not set it.
    static func clear() { CLinuxShim_set_errno(0) }

    public static let interrupted = Errno(rawValue: EINTR)
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let inProgress = Errno(rawValue: EINPROGRESS)
    public static let connectionReset = Errno(rawValue: ECONNRESET)
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    public static let brokenPipe = Errno(rawValue: EPIPE)
    public static let addressInUse = Errno(rawValue: EADDRINUSE)
    public static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    public static let tooManyOpenFilesInSystem = Errno(rawValue: ENFILE)
    public static let connectionAborted = Errno(rawValue: ECONNABORTED)
    public static let timedOut = Errno(rawValue: ETIMEDOUT)

    /// The number and `strerror` text, e.g. "errno 104: Connection reset by peer".
    public var description: String {
        let text = String(cString: strerror(rawValue))
        return "errno \(rawValue): \(text)"
    }

    /// True for the two spellings of "try again later".
    var isWouldBlock: Bool { rawValue == EAGAIN || rawValue == EWOULDBLOCK }
}

/// The outcome of one non-blocking operation on a socket or a TLS session.
///
/// `.wouldBlock(needs)` says which readiness must come before a retry: a plain
/// socket read needs `.read`, but a TLS read may need `.write` (and vice versa)
/// while OpenSSL finishes a handshake message or flushes a record.
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock(needs: Interest)
}

/// Runs a system call that returns -1 and sets errno on failure.
/// Retries EINTR; maps EAGAIN/EWOULDBLOCK to `.wouldBlock(needs: blockedInterest)`;
/// throws every other errno. EBADF and EFAULT are programming errors and trap.
@inline(__always)
func retryingSyscall<T: FixedWidthInteger>(
    blockedInterest: Interest = .read, _ call: () -> T
) throws(Errno) -> IOResult<T> {
    while true {
        let result = call()
        if result != -1 { return .done(result) }
        let error = Errno.current
        if error == .interrupted { continue }
        if error.isWouldBlock { return .wouldBlock(needs: blockedInterest) }
        precondition(error.rawValue != EBADF && error.rawValue != EFAULT,
                     "ChatNet bug: syscall on an invalid descriptor or address (\(error))")
        throw error
    }
}

/// Runs a system call that must not block (setsockopt, bind, epoll_ctl...).
@inline(__always)
@discardableResult
func checkedSyscall<T: FixedWidthInteger>(_ call: () -> T) throws(Errno) -> T {
    while true {
        let result = call()
        if result != -1 { return result }
        let error = Errno.current
        if error == .interrupted { continue }
        precondition(error.rawValue != EBADF && error.rawValue != EFAULT,
                     "ChatNet bug: syscall on an invalid descriptor or address (\(error))")
        throw error
    }
}
