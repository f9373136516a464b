// EventLoopInputFirstTests: "input first": a pending flush waits one round
// for input that is already ready (so a busy server writes more per call),
// never when none is (an idle server writes at once), never more than one
// round, and never past the end of `run(for:until:)`, over epoll and poll.
@testable import ChatNet
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Records when the loop flushes it.
final class RecordingFlushable: LoopFlushable {
    var onFlush: () -> Void = {}
    func loopFlush() { onFlush() }
}

@Suite("EventLoop input first", .serialized)
struct EventLoopInputFirstTests {
    static let backends: [SelectorKind] = [.epoll, .poll]

    /// Two registered pipes; reading `first` queues a flush (and, if asked, makes `second`
    /// readable meanwhile). Returns the order of reads and the flush over `iterations`.
    func inputFirstOrder(kind: SelectorKind, secondBecomesReady: Bool, secondStaysReady: Bool = false,
                         iterations: Int) throws -> [String] {
        let loop = try EventLoop(selector: kind)
        let first = TestPipe(), second = TestPipe()
        defer { first.closeBoth(); second.closeBoth() }
        var order: [String] = []
        let flushable = RecordingFlushable()
        flushable.onFlush = { order.append("flush") }
        let firstHandler = ClosureHandler(), secondHandler = ClosureHandler()
        firstHandler.onReadable = {
            var byte: UInt8 = 0
            _ = read(first.readEnd, &byte, 1)
            order.append("first")
            loop.requestFlush(flushable)
            if secondBecomesReady { second.signal() }
        }
        secondHandler.onReadable = {
            var byte: UInt8 = 0
            if !secondStaysReady { _ = read(second.readEnd, &byte, 1) }
            order.append("second")
        }
        let one = try loop.register(descriptor: first.readEnd, interest: .read, handler: firstHandler)
        let two = try loop.register(descriptor: second.readEnd, interest: .read, handler: secondHandler)
        defer { loop.deregister(one); loop.deregister(two) }
        first.signal()
        for _ in 0..<iterations { try loop.runOnce(maximumWait: 0) }
        return order
    }

    @Test("with no other input ready, queued output is flushed in the same iteration", arguments: backends)
    func flushAtOnceWhenIdle(kind: SelectorKind) throws {
        #expect(try inputFirstOrder(kind: kind, secondBecomesReady: false, iterations: 1) == ["first", "flush"])
    }

    @Test("input that became ready meanwhile is read before the pending flush", arguments: backends)
    func readyInputFirst(kind: SelectorKind) throws {
        #expect(try inputFirstOrder(kind: kind, secondBecomesReady: true, iterations: 1) == ["first"])
        #expect(try inputFirstOrder(kind: kind, secondBecomesReady: true, iterations: 2) == ["first", "second", "flush"])
    }

    @Test("a flush waits for ready input once, never longer, even if input keeps coming", arguments: backends)
    func flushWaitsOneRoundAtMost(kind: SelectorKind) throws {
        let order = try inputFirstOrder(kind: kind, secondBecomesReady: true, secondStaysReady: true, iterations: 3)
        #expect(order.prefix(3) == ["first", "second", "flush"])
    }

    @Test("run(for:until:) does not return with a flush held back for input", arguments: backends)
    func runReleasesHeldFlush(kind: SelectorKind) throws {
        let loop = try EventLoop(selector: kind)
        let first = TestPipe(), second = TestPipe()
        defer { first.closeBoth(); second.closeBoth() }
        var flushed = false, readFirst = false
        let flushable = RecordingFlushable()
        flushable.onFlush = { flushed = true }
        let firstHandler = ClosureHandler(), secondHandler = ClosureHandler()
        firstHandler.onReadable = {
            var byte: UInt8 = 0
            _ = read(first.readEnd, &byte, 1)
            readFirst = true
            loop.requestFlush(flushable)
            second.signal()  // ready input: the flush is held back one round
        }
        let one = try loop.register(descriptor: first.readEnd, interest: .read, handler: firstHandler)
        let two = try loop.register(descriptor: second.readEnd, interest: .read, handler: secondHandler)
        defer { loop.deregister(one); loop.deregister(two) }
        first.signal()
        #expect(try loop.run(for: .seconds(5)) { readFirst })
        #expect(flushed, "run(for:until:) returned with the flush still held back")
    }
}
