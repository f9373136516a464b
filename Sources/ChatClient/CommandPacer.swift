// CommandPacer: the interactive client's outgoing commands, sent no faster
// than the server's advertised command rate, so a paste never meets
// `ERR RATE_LIMITED` and nothing typed is lost.
//
// Commands wait in a FIFO and leave through a token bucket set below the
// server's `rate=BURST/PER_SECOND` (`ServerCapabilities`): a burst of BURST
// minus a quarter (at least one less, at least one), then 90% of PER_SECOND,
// which leaves room for network jitter. Until the server's rate is known the
// pacer holds everything except the one `CAP LS` that asks for it; a server
// without CAP gets ScriptSession's conservative pace. At most 64 commands are
// unanswered at once. It also pairs replies with commands (`ReplyTracker`) and
// remembers which commands the session sent on its own (keep-alives, CAP,
// WHOAMI, WHO), whose replies are not shown. Time is passed in (monotonic
// nanoseconds); a bucket started at time 0 starts counting at the first
// nonzero time. This file sends nothing and prints nothing. Pure.
import ChatCore

public struct CommandPacer: Sendable {
    /// How fast the pacer sends: `burst` at once, then `perSecond`.
    public struct Pace: Equatable, Sendable {
        public let burst: Int
        public let perSecond: Double
        public init(burst: Int, perSecond: Double) {
            self.burst = burst
            self.perSecond = perSecond
        }
    }

    /// The pace for a server that did not say its rate (ScriptSession's, below tlschatd's defaults).
    public static let fallbackPace = Pace(burst: ScriptSession.pacingBurst, perSecond: ScriptSession.pacingPerSecond)
    /// Most commands sent and not yet answered.
    public static let maximumInFlight = ScriptSession.maximumInFlight

    private struct Outgoing: Sendable {
        let line: String
        let automatic: Bool
    }

    private var outbox: [Outgoing] = []
    private var outboxHead = 0
    private var tracker = ReplyTracker()
    /// Parallel to the tracker's FIFO: whether each unanswered command was sent on our own.
    private var inFlightAutomatic: [Bool] = []
    private var inFlightHead = 0
    private var bucket: TokenBucket
    private var clock: UInt64 = 0
    /// Commands sent while holding (the CAP LS), charged to the bucket set up by `resume`.
    private var sentWhileHolding = 0
    /// The pace in force.
    public private(set) var pace = CommandPacer.fallbackPace
    /// True while nothing is released: the server's rate is not known yet.
    public private(set) var isHolding = false

    public init() {
        bucket = TokenBucket(capacity: Self.fallbackPace.burst, refillPerSecond: Self.fallbackPace.perSecond, now: 0)
    }

    /// The pace kept below a server's advertised rate.
    public static func pace(below capabilities: ServerCapabilities) -> Pace {
        let burst = capabilities.commandBurst
        return Pace(burst: max(1, burst - max(1, burst / 4)), perSecond: capabilities.commandsPerSecond * 0.9)
    }

    /// User commands waiting to be sent (not the session's own).
    public private(set) var queuedCount = 0

    /// True while anything waits to be sent.
    public var hasQueued: Bool { outboxHead < outbox.count }

    /// User commands sent and not answered yet.
    public var unansweredCount: Int { inFlightAutomatic[inFlightHead...].filter { !$0 }.count }

    /// The oldest command sent and not answered yet, and whether the session sent it on its own:
    /// the command that lines arriving before the next reply (such as `HIST`) belong to.
    public var oldestUnanswered: (command: SentCommand, automatic: Bool)? {
        guard let command = tracker.oldestPending, inFlightHead < inFlightAutomatic.count else { return nil }
        return (command, inFlightAutomatic[inFlightHead])
    }

    /// Advances the clock (monotonic nanoseconds; earlier times are ignored).
    public mutating func advance(to now: UInt64) { clock = max(clock, now) }

    /// Sends `line` now, as the session's own command, and holds everything else until `resume`.
    public mutating func sendAndHold(_ line: String) -> String {
        _ = bucket.take(now: clock)
        sentWhileHolding += 1
        isHolding = true
        record(line, automatic: true)
        return line
    }

    /// Sets the pace from the server's capabilities (nil: it did not say) and stops holding.
    public mutating func resume(with capabilities: ServerCapabilities?) {
        pace = capabilities.map(Self.pace(below:)) ?? Self.fallbackPace
        bucket = TokenBucket(capacity: pace.burst, refillPerSecond: pace.perSecond, now: clock)
        for _ in 0..<sentWhileHolding { _ = bucket.take(now: clock) }
        sentWhileHolding = 0
        isHolding = false
    }

    /// Queues a command; `automatic`: sent by the session on its own (its reply is not shown).
    public mutating func enqueue(_ line: String, automatic: Bool = false) {
        outbox.append(Outgoing(line: line, automatic: automatic))
        if !automatic { queuedCount += 1 }
    }

    /// The commands that may leave now, in order.
    public mutating func release() -> [String] {
        var lines: [String] = []
        while !isHolding, outboxHead < outbox.count, tracker.pendingCount < Self.maximumInFlight, bucket.take(now: clock) {
            let next = outbox[outboxHead]
            outboxHead += 1
            if !next.automatic { queuedCount -= 1 }
            record(next.line, automatic: next.automatic)
            lines.append(next.line)
        }
        compactOutbox()
        return lines
    }

    /// Classifies a received line; for a reply, also says whether it answers one of our own commands.
    public mutating func receive(_ line: String) -> (TrackedLine, automatic: Bool) {
        let tracked = tracker.receive(line)
        guard case .reply = tracked, inFlightHead < inFlightAutomatic.count else { return (tracked, false) }
        let automatic = inFlightAutomatic[inFlightHead]
        inFlightHead += 1
        if inFlightHead > 64 && inFlightHead * 2 > inFlightAutomatic.count {
            inFlightAutomatic.removeFirst(inFlightHead)
            inFlightHead = 0
        }
        return (tracked, automatic)
    }

    /// Removes the user commands still waiting (the session's own stay) and returns them.
    public mutating func takeQueued() -> [String] {
        let waiting = outbox[outboxHead...]
        outbox = waiting.filter(\.automatic)
        outboxHead = 0
        queuedCount = 0
        return waiting.filter { !$0.automatic }.map(\.line)
    }

    /// The server said RATE_LIMITED anyway (another pace than advertised): spend every token now.
    public mutating func backOff() {
        while bucket.take(now: clock) {}
    }

    private mutating func record(_ line: String, automatic: Bool) {
        tracker.sent(line)
        inFlightAutomatic.append(automatic)
    }

    private mutating func compactOutbox() {
        if outboxHead == outbox.count {
            outbox.removeAll(keepingCapacity: outbox.count < 1024)
            outboxHead = 0
        } else if outboxHead > 256 && outboxHead * 2 > outbox.count {
            outbox.removeFirst(outboxHead)
            outboxHead = 0
        }
    }
}
