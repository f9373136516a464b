// EventLoopTests: timers, deferred work, close-inside-callback and stale
// events for reused descriptors, run identically over epoll and poll.
@testable import ChatNet
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A handler that runs a closure on readability.
final class ClosureHandler: LoopHandler {
    var onReadable: () -> Void = {}
    var readableCalls = 0
    func loopWritable() {}
    func loopReadable() { readableCalls += 1; onReadable() }
}

/// A pipe whose read end is registered; writing one byte makes it readable.
struct TestPipe {
    let readEnd: Int32, writeEnd: Int32
    init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        readEnd = fds[0]
        writeEnd = fds[1]
    }
    func signal() { var byte: UInt8 = 1; _ = write(writeEnd, &byte, 1) }
    func closeBoth() { close(readEnd); close(writeEnd) }
}

@Suite("EventLoop", .serialized)
struct EventLoopTests {
    static let backends: [SelectorKind] = [.epoll, .poll]

    @Test("timers fire in deadline order, equal deadlines in scheduling order", arguments: backends)
    func timersFireInOrder(kind: SelectorKind) throws {
        let loop = try EventLoop(selector: kind)
        var fired: [String] = []
        loop.schedule(after: .milliseconds(30)) { fired.append("c") }
        loop.schedule(after: .milliseconds(10)) { fired.append("a") }
        loop.schedule(after: .milliseconds(20)) { fired.append("b1") }
        loop.schedule(after: .milliseconds(20)) { fired.append("b2") }
        let cancelled = loop.schedule(after: .milliseconds(15)) { fired.append("cancelled") }
        cancelled.cancel()
        #expect(try loop.run(for: .seconds(5)) { fired.count == 4 })
        #expect(fired == ["a", "b1", "b2", "c"])
    }

    @Test("a repeating timer repeats until cancelled from its own callback", arguments: backends)
    func repeatingTimer(kind: SelectorKind) throws {
        let loop = try EventLoop(selector: kind)
        var count = 0
        var timer: LoopTimer?
        timer = loop.scheduleRepeating(every: .milliseconds(2)) {
            count += 1
            if count == 5 { timer?.cancel() }
        }
        #expect(try loop.run(for: .seconds(5)) { count >= 5 })
        _ = try loop.run(for: .milliseconds(30)) { false }
        #expect(count == 5)
    }

    @Test("a timer does not fire before its deadline", arguments: backends)
    func timerNotEarly(kind: SelectorKind) throws {
        let loop = try EventLoop(selector: kind)
        let start = MonotonicClock.now()
        var firedAt: UInt64 = 0
        loop.schedule(after: .milliseconds(50)) { firedAt = MonotonicClock.now() }
        #expect(try loop.run(for: .seconds(5)) { firedAt != 0 })
        #expect(firedAt - start >= 50_000_000)
    }

    @Test("work deferred inside a callback runs after the callback returns", arguments: backends)
    func deferredWorkRunsAfterCallback(kind: SelectorKind) throws {
        let loop = try EventLoop(selector: kind)
        var log: [String] = []
        loop.schedule(after: .zero) {
            loop.executeAfterIteration { log.append("deferred") }
            log.append("callback end")
        }
        #expect(try loop.run(for: .seconds(5)) { log.count == 2 })
        #expect(log == ["callback end", "deferred"])
    }

    @Test("deregistering another handler inside a callback stops its pending event", arguments: backends)
    func closeInsideCallbackIsSafe(kind: SelectorKind) throws {
        let loop = try EventLoop(selector: kind)
        let first = TestPipe(), second = TestPipe()
        defer { first.closeBoth(); second.closeBoth() }
        let firstHandler = ClosureHandler(), secondHandler = ClosureHandler()
        let firstRegistration = try loop.register(descriptor: first.readEnd, interest: .read, handler: firstHandler)
        let secondRegistration = try loop.register(descriptor: second.readEnd, interest: .read, handler: secondHandler)
        // Whichever runs first deregisters the other: exactly one callback in total.
        firstHandler.onReadable = { loop.deregister(secondRegistration); loop.deregister(firstRegistration) }
        secondHandler.onReadable = { loop.deregister(firstRegistration); loop.deregister(secondRegistration) }
        first.signal()
        second.signal()
        _ = try loop.run(for: .milliseconds(100)) { false }
        #expect(firstHandler.readableCalls + secondHandler.readableCalls == 1)
        #expect(loop.registrationCount == 0)
    }

    @Test("we do not deliver events for a descriptor closed and reused in the same batch", arguments: backends)
    func noEventsForReusedDescriptor(kind: SelectorKind) throws {
        let loop = try EventLoop(selector: kind)
        let trigger = TestPipe(), victim = TestPipe()
        defer { trigger.closeBoth(); close(victim.writeEnd) }
        let triggerHandler = ClosureHandler(), victimHandler = ClosureHandler(), newcomer = ClosureHandler()
        var reused = TestPipe()
        var reusedRegistration: LoopRegistration?
        var victimRegistration: LoopRegistration?
        let triggerRegistration = try loop.register(descriptor: trigger.readEnd, interest: .read, handler: triggerHandler)
        victimRegistration = try loop.register(descriptor: victim.readEnd, interest: .read, handler: victimHandler)
        triggerHandler.onReadable = {
            guard victimHandler.readableCalls == 0, let registration = victimRegistration else { return }
            // Close the victim and immediately reuse its descriptor number for a newcomer,
            // whose pipe is also readable: a stale event must not reach the newcomer.
            loop.deregister(registration)
            victimRegistration = nil
            let number = victim.readEnd
            close(number)
            reused.closeBoth()
            var fds: [Int32] = [0, 0]
            _ = pipe(&fds)
            if fds[0] != number { _ = dup2(fds[0], number); close(fds[0]) }
            reused = TestPipe(readEnd: number, writeEnd: fds[1])
            reusedRegistration = try? loop.register(descriptor: number, interest: .read, handler: newcomer)
            loop.deregister(triggerRegistration)
        }
        newcomer.onReadable = { if let reg = reusedRegistration { loop.deregister(reg) } }
        trigger.signal()
        victim.signal()
        try loop.runOnce(maximumWait: 1_000_000_000)  // one batch holds both events
        // The trigger became ready first, so both backends report it first.
        #expect(triggerHandler.readableCalls == 1)
        #expect(victimHandler.readableCalls == 0)
        #expect(newcomer.readableCalls == 0, "the stale event for the reused descriptor was delivered")
        if let reg = reusedRegistration { loop.deregister(reg) }
        reused.closeBoth()
    }
}

extension TestPipe {
    init(readEnd: Int32, writeEnd: Int32) {
        self.readEnd = readEnd
        self.writeEnd = writeEnd
    }
}
