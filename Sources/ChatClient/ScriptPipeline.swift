// ScriptPipeline: which of the scripted mode's queued commands may go to the
// server now, and which script line each reply answers.
//
// Commands leave in the order they were queued, pipelined, as fast as three
// rules allow: a pacer (a token bucket below the server's rate), a cap on
// unanswered commands, and barriers. A barrier follows a command whose failure
// would change what later lines mean (see `isBarrier`): after sending it,
// nothing more is sent until its reply has arrived, so that the session can
// decide to stop before a later line runs in the wrong room or under the wrong
// name. Replies are paired with commands first in, first out (ReplyTracker),
// and with the `CommandOrigin` each command was queued with. This file does
// not decide what a reply means, when to stop or what to print; ScriptSession
// does. Pure: the caller passes the time.
import ChatCore

/// Where a scripted command came from, for messages about its reply.
public enum CommandOrigin: Equatable, Sendable {
    /// Line N of the script (counting from 1, blank lines included).
    case scriptLine(Int)
    /// The NICK that `--name` sends after the greeting.
    case nameOption
    /// Added by tlschat itself: the final BYE, the answer to the server's PING.
    case automatic
}

struct ScriptPipeline: Sendable {
    private var queue: [(command: String, origin: CommandOrigin)] = []
    private var queueHead = 0
    private var pacer: TokenBucket
    private let maximumInFlight: Int
    private let usesBarriers: Bool
    private var tracker = ReplyTracker()
    /// The origins of the commands in `tracker`, oldest first.
    private var origins: [CommandOrigin] = []
    private var originsHead = 0
    /// A barrier command was sent and its reply has not arrived yet.
    private(set) var isHeldAtBarrier = false
    /// BYE has gone to the server (queued is not enough).
    private(set) var byeSent = false
    /// The highest script line number sent so far (0: none).
    private(set) var lastScriptLineSent = 0

    init(burst: Int, perSecond: Double, maximumInFlight: Int, usesBarriers: Bool) {
        pacer = TokenBucket(capacity: burst, refillPerSecond: perSecond, now: 0)
        self.maximumInFlight = maximumInFlight
        self.usesBarriers = usesBarriers
    }

    /// Commands queued and not sent yet.
    var unsentCount: Int { queue.count - queueHead }
    /// Commands sent and not answered yet.
    var pendingCount: Int { tracker.pendingCount }
    /// The oldest command still waiting for its reply.
    var oldestPending: SentCommand? { tracker.oldestPending }

    /// True for a command after which later script lines may mean something else if it
    /// fails: JOIN and PART (the current room), NICK (the name), CAP REQ (the lines the
    /// server sends), and any verb tlschat does not know (it may be an extension that does).
    static func isBarrier(_ command: String) -> Bool {
        let sent = SentCommand(line: command)
        switch sent.verb {
        case "SAY", "MSG", "WHO", "ROOMS", "WHOAMI", "PING", "HELP", "BYE": return false
        case "CAP": return ServerLine.firstWord(of: sent.arguments).uppercased() == "REQ"
        default: return true
        }
    }

    /// Queues `command` behind everything queued before it.
    mutating func enqueue(_ command: String, from origin: CommandOrigin) {
        queue.append((command, origin))
    }

    /// The commands that may be sent now, in order; they count as sent from here on.
    mutating func release(now: UInt64) -> [String] {
        var released: [String] = []
        while queueHead < queue.count, !isHeldAtBarrier, tracker.pendingCount < maximumInFlight, pacer.take(now: now) {
            let (command, origin) = queue[queueHead]
            queueHead += 1
            tracker.sent(command)
            origins.append(origin)
            if case .scriptLine(let number) = origin { lastScriptLineSent = max(lastScriptLineSent, number) }
            if SentCommand(line: command).verb == "BYE" { byeSent = true }
            if usesBarriers && Self.isBarrier(command) { isHeldAtBarrier = true }
            released.append(command)
        }
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: queue.count < 1024)
            queueHead = 0
        }
        return released
    }

    /// Classifies one server line; a reply comes with the origin of the command it answers
    /// and lifts the barrier when it answers the barrier command.
    mutating func receive(_ line: String) -> (line: TrackedLine, origin: CommandOrigin?) {
        let tracked = tracker.receive(line)
        guard case .reply = tracked else { return (tracked, nil) }
        let origin = origins[originsHead]
        originsHead += 1
        if originsHead > 64 && originsHead * 2 > origins.count {  // compact now and then; amortised O(1)
            origins.removeFirst(originsHead)
            originsHead = 0
        }
        // Nothing is sent after a barrier command, so it is the newest one: it was answered
        // when nothing is pending any more.
        if tracker.pendingCount == 0 { isHeldAtBarrier = false }
        return (tracked, origin)
    }

    /// Drops every command not sent yet; returns how many script lines that was.
    mutating func discardUnsent() -> Int {
        let dropped = queue[queueHead...].filter { if case .scriptLine = $0.origin { true } else { false } }.count
        queue.removeAll()
        queueHead = 0
        return dropped
    }
}
