// SendFloorReader: the receiving side of `tlschat-bench send-floor`, on a
// thread of its own pinned like the load generator. A dedicated thread breaks
// the project's one-thread rule on purpose: the floor measures the kernel
// with sender and receiver on two cores, like a server and its load
// generator, and only a second thread (or process) can be on the second core;
// a thread shares the arrival table with the sender without copying it
// through a pipe. It epolls every receiving socket, drains it, and records
// for each connection and round the MonotonicClock time at which that round's
// bytes had all arrived; when every connection has its round, it writes the
// round's number to a pipe the sender waits on. It ends when every socket
// has reached end-of-file or at the deadline. It never sends anything.
import CLinuxShim
import ChatNet
#if canImport(Glibc)
import Glibc
#endif

final class SendFloorReader: @unchecked Sendable {
    // Shared with the sender: written here before the round's byte goes into `roundDone`,
    // read there after it came out (the pipe orders the two threads).
    let arrivals: UnsafeMutablePointer<UInt64>
    private let receivers: [Int32]
    private let bytesPerRound: Int
    private let rounds: Int
    private let cpu: Int
    private let deadline: UInt64
    /// The reader writes a round's number (one byte each, modulo 256) when the round is complete.
    let roundDone: (read: Int32, write: Int32)
    private(set) var receivedBytes = 0
    private(set) var socketsLeftOpen = 0
    private(set) var failure: String?

    init(receivers: [Int32], bytesPerRound: Int, rounds: Int, cpu: Int, deadline: UInt64) throws {
        self.receivers = receivers
        self.bytesPerRound = bytesPerRound
        self.rounds = rounds
        self.cpu = cpu
        self.deadline = deadline
        arrivals = .allocate(capacity: receivers.count * rounds)
        arrivals.initialize(repeating: 0, count: receivers.count * rounds)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw BenchError("send-floor: pipe failed") }
        roundDone = (fds[0], fds[1])
    }

    deinit {
        arrivals.deallocate()
        close(roundDone.read)
        close(roundDone.write)
    }

    /// The thread's body.
    func run() {
        do { try CPUAffinity.pinCurrentThread(to: cpu) } catch { failure = "\(error)" }
        let poller = epoll_create1(0)
        defer { close(poller) }
        for (index, fd) in receivers.enumerated() {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.u64 = UInt64(index)
            _ = epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event)
        }
        var received = [Int](repeating: 0, count: receivers.count)
        var completeIn = [Int](repeating: 0, count: rounds)  // connections that have each round
        var open = receivers.count
        var events = [epoll_event](repeating: epoll_event(), count: 1_024)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        while open > 0, MonotonicClock.now() < deadline {
            let ready = events.withUnsafeMutableBufferPointer { epoll_wait(poller, $0.baseAddress, Int32($0.count), 100) }
            guard ready > 0 else { continue }
            for event in events[0..<Int(ready)] {
                let index = Int(event.data.u64), fd = receivers[index]
                while true {
                    let count = recv(fd, buffer.baseAddress, buffer.count, 0)
                    if count < 0 { break }  // EAGAIN: drained
                    if count == 0 { open -= 1; _ = epoll_ctl(poller, EPOLL_CTL_DEL, fd, nil); break }
                    let now = MonotonicClock.now()
                    receivedBytes += count
                    let before = received[index] / bytesPerRound
                    received[index] += count
                    let after = min(received[index] / bytesPerRound, rounds)
                    for round in before..<max(before, after) {
                        arrivals[round * receivers.count + index] = now
                        completeIn[round] += 1
                        if completeIn[round] == receivers.count {
                            var byte = UInt8(truncatingIfNeeded: round)
                            _ = write(roundDone.write, &byte, 1)
                        }
                    }
                }
            }
        }
        socketsLeftOpen = open
    }
}
