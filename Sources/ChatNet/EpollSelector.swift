// EpollSelector: the Linux epoll(7) backend of `Selector`, level-triggered.
//
// Level-triggered on purpose: a handler that stops reading early (to be fair to
// other clients) is woken again while bytes remain. It does not dispatch;
// it only translates epoll_event records into `SelectorEvent`s.
#if canImport(Glibc)
import Glibc
#endif
internal import CLinuxShim

public final class EpollSelector: Selector {
    private var epollDescriptor: Int32
    private var buffer: [epoll_event]

    public init(capacity: Int = 1024) throws(Errno) {
        epollDescriptor = try checkedSyscall { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        buffer = [epoll_event](repeating: epoll_event(), count: capacity)
    }

    deinit { close() }

    private static func mask(_ interest: Interest) -> UInt32 {
        var bits: UInt32 = 0
        if interest.contains(.read) { bits |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if interest.contains(.write) { bits |= EPOLLOUT.rawValue }
        return bits
    }

    public func register(fd: Int32, interest: Interest, token: UInt64) throws(Errno) {
        try control(EPOLL_CTL_ADD, fd: fd, interest: interest, token: token)
    }

    public func reregister(fd: Int32, interest: Interest, token: UInt64) throws(Errno) {
        try control(EPOLL_CTL_MOD, fd: fd, interest: interest, token: token)
    }

    public func deregister(fd: Int32) throws(Errno) {
        var unused = epoll_event()
        try checkedSyscall { epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, fd, &unused) }
    }

    private func control(_ operation: Int32, fd: Int32, interest: Interest, token: UInt64) throws(Errno) {
        var event = epoll_event()
        event.events = Self.mask(interest)
        event.data.u64 = token
        try checkedSyscall { epoll_ctl(epollDescriptor, operation, fd, &event) }
    }

    public func wait(timeoutMilliseconds: Int32, into events: inout [SelectorEvent]) throws(Errno) {
        events.removeAll(keepingCapacity: true)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            epoll_wait(epollDescriptor, pointer.baseAddress, Int32(pointer.count), timeoutMilliseconds)
        }
        if count < 0 {
            let error = Errno.current
            if error == .interrupted { return }
            throw error
        }
        let trouble = EPOLLERR.rawValue | EPOLLHUP.rawValue | EPOLLRDHUP.rawValue
        for index in 0..<Int(count) {
            let record = buffer[index]
            let bits = record.events
            let failed = bits & trouble != 0
            events.append(SelectorEvent(
                token: record.data.u64,
                readable: bits & EPOLLIN.rawValue != 0 || failed,
                writable: bits & EPOLLOUT.rawValue != 0 || (bits & (EPOLLERR.rawValue | EPOLLHUP.rawValue)) != 0))
        }
    }

    public func close() {
        if epollDescriptor >= 0 {
            _ = Glibc.close(epollDescriptor)
            epollDescriptor = -1
        }
    }
}
