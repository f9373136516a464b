// EventLoop: the single-threaded readiness loop that drives every socket.
//
// One iteration: wait on the selector (bounded by the next timer), dispatch
// each ready registration in a fixed order (writable, then readable, re-checking
// the registration after each callback), fire due timers, re-read connections
// that hold input buffered inside TLS, flush every connection that queued
// output (one write per connection per flush), then run deferred work such as
// closing descriptors. Input first: when output is waiting and more input is
// already ready (a poll that does not wait), the loop handles that input once
// before writing, so a busy server sends more per write; an idle one still
// writes in the same iteration, and `run` never returns with a flush held back.
// After each flush it empties the broadcast arena. Events carry (generation,
// fd) tokens, so an event for a descriptor that was closed and reused in the
// same batch is dropped. It times each iteration's work into `statistics`.
// It is not thread-safe: create, use and run it on one thread.
#if canImport(Glibc)
import Glibc
#endif

/// Receives readiness callbacks for one registered descriptor.
public protocol LoopHandler: AnyObject {
    /// The descriptor is writable (or failed). Called before `loopReadable`.
    func loopWritable()
    /// The descriptor is readable (or failed), or `EventLoop.readAgain` asked for it.
    func loopReadable()
}

/// Receives the once-per-iteration flush call requested with `EventLoop.requestFlush`.
public protocol LoopFlushable: AnyObject {
    func loopFlush()
}

/// Identifies one registration; stale once deregistered, even if the fd is reused.
public struct LoopRegistration: Equatable, Sendable {
    public let descriptor: Int32
    let generation: UInt32
    var token: UInt64 { UInt64(generation) << 32 | UInt64(UInt32(bitPattern: descriptor)) }
}

public final class EventLoop {
    private struct Slot {
        var generation: UInt32 = 0
        var handler: LoopHandler?
    }

    private let selector: any Selector
    public let selectorKind: SelectorKind
    private var slots: [Slot] = []
    private var nextGeneration: UInt32 = 1
    private var events: [SelectorEvent] = []
    private var timers = TimerQueue()
    private var timerSequence: UInt64 = 0
    private var flushQueue: [LoopFlushable] = []
    /// Broadcast groups gathering in this flush: they are reset with the arena.
    private var gatheringGroups: [BroadcastGroup] = []
    /// True while the flush phase writes (broadcast groups take no new followers then).
    public private(set) var isFlushing = false
    private var readAgainQueue: [LoopHandler] = []
    private var deferredWork: [() -> Void] = []
    private var beforeFlushHooks: [() -> Void] = []
    private var stopRequested = false
    /// `events` already holds the next batch (found while deciding to defer a flush).
    private var eventsPrefetched = false
    /// The pending flush already waited one round for ready input: it goes out this iteration.
    private var flushDeferredOnce = false

    /// Shared scratch memory for reads. Connections use it only inside one
    /// callback, so one buffer serves every connection and an idle connection
    /// owns no receive buffer of its own.
    let readScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// This flush's broadcast bytes, shared by their recipients; emptied after each flush phase.
    let broadcastArena = BroadcastArena()

    /// Creates a loop on the chosen backend. Also ignores SIGPIPE for the
    /// process: OpenSSL's socket writes must never kill the server.
    public init(selector kind: SelectorKind = .automatic) throws(Errno) {
        signal(SIGPIPE, SIG_IGN)
        selector = try kind.makeSelector()
        selectorKind = kind == .poll ? .poll : .epoll
    }

    deinit {
        selector.close()
        readScratch.deallocate()
    }

    /// Number of live registrations (for tests and metrics).
    public private(set) var registrationCount = 0
    /// Bytes moved, the largest output queue and iteration times (LoopStatistics), for metrics.
    public internal(set) var statistics = LoopStatistics()

    // MARK: Registrations

    /// Starts watching `descriptor` and routing its readiness to `handler`
    /// (held strongly until `deregister`).
    public func register(descriptor: Int32, interest: Interest, handler: LoopHandler) throws(Errno) -> LoopRegistration {
        precondition(descriptor >= 0)
        let index = Int(descriptor)
        if index >= slots.count { slots.append(contentsOf: repeatElement(Slot(), count: index + 1 - slots.count)) }
        precondition(slots[index].handler == nil, "descriptor \(descriptor) registered twice")
        let registration = LoopRegistration(descriptor: descriptor, generation: nextGeneration)
        nextGeneration = nextGeneration == UInt32.max ? 1 : nextGeneration + 1
        try selector.register(fd: descriptor, interest: interest, token: registration.token)
        slots[index] = Slot(generation: registration.generation, handler: handler)
        registrationCount += 1
        return registration
    }

    /// Changes the interest of a live registration.
    public func update(_ registration: LoopRegistration, interest: Interest) throws(Errno) {
        guard isLive(registration) else { return }
        try selector.reregister(fd: registration.descriptor, interest: interest, token: registration.token)
    }

    /// Stops watching; later events for this registration are dropped. Call before closing the fd.
    public func deregister(_ registration: LoopRegistration) {
        guard isLive(registration) else { return }
        try? selector.deregister(fd: registration.descriptor)
        slots[Int(registration.descriptor)] = Slot()
        registrationCount -= 1
    }

    public func isLive(_ registration: LoopRegistration) -> Bool {
        let index = Int(registration.descriptor)
        return index < slots.count && slots[index].handler != nil && slots[index].generation == registration.generation
    }

    // MARK: Timers and deferred work

    /// Runs `action` once, `delay` from now, on the loop thread.
    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping () -> Void) -> LoopTimer {
        addTimer(delay: delay.nanoseconds, interval: nil, action)
    }

    /// Runs `action` every `interval` until the returned timer is cancelled.
    @discardableResult
    public func scheduleRepeating(every interval: Duration, _ action: @escaping () -> Void) -> LoopTimer {
        let period = max(interval.nanoseconds, 1_000_000)
        return addTimer(delay: period, interval: period, action)
    }

    private func addTimer(delay: UInt64, interval: UInt64?, _ action: @escaping () -> Void) -> LoopTimer {
        timerSequence += 1
        let timer = LoopTimer(deadline: MonotonicClock.now() + delay, sequence: timerSequence, interval: interval, action: action)
        timers.insert(timer)
        return timer
    }

    /// Runs `hook` in every iteration after the input callbacks and timers, before output
    /// is flushed (Redis's beforeSleep): e.g. committing what the callbacks accepted, so its
    /// replies go out in the same flush. Hooks are kept for the loop's life.
    public func addBeforeFlushHook(_ hook: @escaping () -> Void) {
        beforeFlushHooks.append(hook)
    }

    /// Runs `work` at the end of the current iteration, after every callback has returned.
    public func executeAfterIteration(_ work: @escaping () -> Void) {
        deferredWork.append(work)
    }

    /// Asks for one `loopFlush()` call at the end of this iteration. The caller
    /// keeps its own "already queued" flag so it is queued at most once.
    func requestFlush(_ flushable: LoopFlushable) {
        flushQueue.append(flushable)
    }

    /// Asks for a `loopReadable()` call this iteration even without a readiness
    /// event: for input already buffered in user space (TLS records) or a read
    /// cut short for fairness.
    func readAgain(_ handler: LoopHandler) {
        readAgainQueue.append(handler)
    }

    // MARK: Running

    /// Runs until `stop()` is called.
    public func run() throws(Errno) {
        stopRequested = false
        while !stopRequested { try runOnce(maximumWait: nil) }
        releaseDeferredFlush()
    }

    /// Ends `run()` after the current iteration.
    public func stop() { stopRequested = true }

    /// Runs iterations until `condition` is true or `timeout` passes. Returns
    /// whether the condition held. For tests and short-lived tools.
    public func run(for timeout: Duration, until condition: () -> Bool) throws(Errno) -> Bool {
        let deadline = MonotonicClock.now() + timeout.nanoseconds
        defer { releaseDeferredFlush() }
        while !condition() {
            let now = MonotonicClock.now()
            if now >= deadline { return false }
            try runOnce(maximumWait: deadline - now)
        }
        return true
    }

    /// One iteration: wait (at most `maximumWait` ns), dispatch, timers, re-reads, flushes, deferred work.
    public func runOnce(maximumWait: UInt64?) throws(Errno) {
        if eventsPrefetched {
            eventsPrefetched = false
        } else {
            try selector.wait(timeoutMilliseconds: waitTimeout(maximumWait), into: &events)
        }
        let started = MonotonicClock.now()
        for event in events { dispatch(event) }
        fireDueTimers()
        runReadAgainQueue()
        for hook in beforeFlushHooks { hook() }
        if !flushDeferredForReadyInput() { runFlushQueue() }
        runDeferredWork()
        statistics.iterationTimes.observe(nanoseconds: MonotonicClock.now() &- started)
    }

    private func waitTimeout(_ maximumWait: UInt64?) -> Int32 {
        if !readAgainQueue.isEmpty || !flushQueue.isEmpty || !deferredWork.isEmpty { return 0 }
        var wait = maximumWait
        if let deadline = timers.nextDeadline() {
            let now = MonotonicClock.now()
            let untilTimer = deadline > now ? deadline - now : 0
            wait = min(wait ?? untilTimer, untilTimer)
        }
        guard let nanoseconds = wait else { return -1 }
        return Int32(clamping: (nanoseconds + 999_999) / 1_000_000)  // round up: never wake early and spin
    }

    private func dispatch(_ event: SelectorEvent) {
        let index = Int(UInt32(truncatingIfNeeded: event.token))
        let generation = UInt32(truncatingIfNeeded: event.token >> 32)
        guard index < slots.count, slots[index].generation == generation,
              let handler = slots[index].handler else { return }  // stale: closed (and maybe reused) fd
        if event.writable { handler.loopWritable() }
        guard event.readable, slots[index].generation == generation, slots[index].handler != nil else { return }
        handler.loopReadable()
    }

    private func fireDueTimers() {
        let now = MonotonicClock.now()
        while let timer = timers.popDue(now: now) {
            timer.action?()
            if let interval = timer.interval, !timer.isCancelled {
                timerSequence += 1
                let next = timer.deadline + interval
                timer.deadline = next > now ? next : now + interval  // fell behind: skip, never spin
                timer.sequence = timerSequence
                timers.insert(timer)
            }
        }
    }

    private func runReadAgainQueue() {
        guard !readAgainQueue.isEmpty else { return }
        let batch = readAgainQueue
        readAgainQueue.removeAll(keepingCapacity: true)
        for handler in batch { handler.loopReadable() }
    }

    /// Input first, at most one round per flush: if output is waiting and more input is
    /// ready right now, keep that batch for the next iteration and write after it.
    /// Returns whether the flush was deferred.
    private func flushDeferredForReadyInput() -> Bool {
        guard !flushQueue.isEmpty, readAgainQueue.isEmpty, !flushDeferredOnce, !stopRequested else {
            flushDeferredOnce = false
            return false
        }
        do {
            try selector.wait(timeoutMilliseconds: 0, into: &events)
        } catch {
            events.removeAll()  // nothing learned: flush now, the next wait reports it
        }
        eventsPrefetched = !events.isEmpty  // kept for the next iteration either way
        flushDeferredOnce = events.contains { $0.readable }  // only input is worth waiting for
        return flushDeferredOnce
    }

    /// Sends a flush that input first held back, so nothing queued waits for a
    /// next iteration that a caller leaving the loop may never run.
    private func releaseDeferredFlush() {
        guard flushDeferredOnce else { return }
        flushDeferredOnce = false
        runFlushQueue()
        runDeferredWork()
    }

    /// `group` started a gather in the current arena epoch.
    func noteGathering(_ group: BroadcastGroup) {
        gatheringGroups.append(group)
    }

    private func runFlushQueue() {
        isFlushing = true
        defer { isFlushing = false }
        var index = 0
        while index < flushQueue.count {  // flushes may queue more flushes; take them too
            flushQueue[index].loopFlush()
            index += 1
        }
        flushQueue.removeAll(keepingCapacity: flushQueue.count <= 4096)
        for group in gatheringGroups { group.reset() }  // each follower took its bytes when flushed
        gatheringGroups.removeAll(keepingCapacity: gatheringGroups.count <= 1024)
        broadcastArena.reset()  // every connection holding a range was just flushed or kept its copy
    }

    private func runDeferredWork() {
        while !deferredWork.isEmpty {
            let batch = deferredWork
            deferredWork.removeAll()
            for work in batch { work() }
        }
    }
}
