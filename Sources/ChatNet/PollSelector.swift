// PollSelector: the portable poll(2) backend of `Selector`.
//
// Keeps a dense pollfd array plus an fd -> index map, so register and
// deregister are O(1) (swap-remove) and each wait is O(registered fds).
// Meant for portability tests and non-Linux systems, not for 15k clients.
#if canImport(Glibc)
import Glibc
#endif

public final class PollSelector: Selector {
    private var records: [pollfd] = []
    private var tokens: [UInt64] = []
    private var indexByDescriptor: [Int32: Int] = [:]

    /// POLLRDHUP (peer shut down writing); glibc exposes it only under _GNU_SOURCE.
    private static let readHangup: Int16 = 0x2000

    public init() {}

    private static func mask(_ interest: Interest) -> Int16 {
        var bits: Int16 = 0
        if interest.contains(.read) { bits |= Int16(POLLIN) | Self.readHangup }
        if interest.contains(.write) { bits |= Int16(POLLOUT) }
        return bits
    }

    public func register(fd: Int32, interest: Interest, token: UInt64) throws(Errno) {
        guard indexByDescriptor[fd] == nil else { throw Errno(rawValue: EEXIST) }
        indexByDescriptor[fd] = records.count
        records.append(pollfd(fd: fd, events: Self.mask(interest), revents: 0))
        tokens.append(token)
    }

    public func reregister(fd: Int32, interest: Interest, token: UInt64) throws(Errno) {
        guard let index = indexByDescriptor[fd] else { throw Errno(rawValue: ENOENT) }
        records[index].events = Self.mask(interest)
        tokens[index] = token
    }

    public func deregister(fd: Int32) throws(Errno) {
        guard let index = indexByDescriptor.removeValue(forKey: fd) else { throw Errno(rawValue: ENOENT) }
        let last = records.count - 1
        if index != last {
            records[index] = records[last]
            tokens[index] = tokens[last]
            indexByDescriptor[records[index].fd] = index
        }
        records.removeLast()
        tokens.removeLast()
    }

    public func wait(timeoutMilliseconds: Int32, into events: inout [SelectorEvent]) throws(Errno) {
        events.removeAll(keepingCapacity: true)
        let count = records.withUnsafeMutableBufferPointer { pointer in
            poll(pointer.baseAddress, nfds_t(pointer.count), timeoutMilliseconds)
        }
        if count < 0 {
            let error = Errno.current
            if error == .interrupted { return }
            throw error
        }
        guard count > 0 else { return }
        let trouble = Int16(POLLERR) | Int16(POLLHUP) | Self.readHangup | Int16(POLLNVAL)
        for index in records.indices where records[index].revents != 0 {
            let bits = records[index].revents
            let failed = bits & trouble != 0
            events.append(SelectorEvent(
                token: tokens[index],
                readable: bits & Int16(POLLIN) != 0 || failed,
                writable: bits & Int16(POLLOUT) != 0 || bits & (Int16(POLLERR) | Int16(POLLHUP)) != 0))
        }
    }

    public func close() {}
}
