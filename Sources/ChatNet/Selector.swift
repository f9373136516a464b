// Selector: the readiness-notification backend of the event loop.
//
// A selector watches descriptors for read/write readiness and reports events
// tagged with the caller's 64-bit registration token; it never calls back.
// The loop packs (generation, fd) into that token so an event for a closed and
// reused descriptor is recognised as stale and dropped (see `EventLoop`).
// Backends: `EpollSelector` (Linux, default) and `PollSelector` (portable).

/// What a registration wants to hear about.
public struct Interest: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = Interest(rawValue: 1)
    public static let write = Interest(rawValue: 2)

    public var description: String {
        switch (contains(.read), contains(.write)) {
        case (true, true): return "read+write"
        case (true, false): return "read"
        case (false, true): return "write"
        case (false, false): return "none"
        }
    }
}

/// One readiness report. Errors and hang-ups are reported as both readable
/// and writable, so the handler's next read or write discovers the cause.
public struct SelectorEvent: Sendable {
    public var token: UInt64
    public var readable: Bool
    public var writable: Bool
}

/// The backend contract. Implementations are used from the loop thread only.
public protocol Selector: AnyObject {
    /// Starts watching `fd`. The fd must not already be registered.
    func register(fd: Int32, interest: Interest, token: UInt64) throws(Errno)
    /// Changes what `fd` is watched for; the token may change too.
    func reregister(fd: Int32, interest: Interest, token: UInt64) throws(Errno)
    /// Stops watching `fd`. Must be called before the fd is closed.
    func deregister(fd: Int32) throws(Errno)
    /// Waits up to `timeoutMilliseconds` (-1: forever, 0: poll) and replaces the
    /// contents of `events` with what is ready. EINTR returns with no events.
    func wait(timeoutMilliseconds: Int32, into events: inout [SelectorEvent]) throws(Errno)
    /// Releases the backend's own descriptors.
    func close()
}

/// Which backend to use; `.automatic` is epoll on Linux.
public enum SelectorKind: String, Sendable, CaseIterable {
    case automatic, epoll, poll

    func makeSelector() throws(Errno) -> any Selector {
        switch self {
        case .automatic, .epoll: return try EpollSelector()
        case .poll: return PollSelector()
        }
    }
}
