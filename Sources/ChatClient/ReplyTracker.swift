// ReplyTracker: pairs each server reply with the command it answers.
//
// chat/1 answers every command exactly once and in order, so a FIFO of sent
// commands is enough: each `OK`/`ERR` line pops the oldest one, and any other
// line is an event that pops nothing (events may arrive between replies, and
// many commands may be in flight at once). This file does not send anything
// and does not format anything; it only keeps the queue. Pure.

/// A command line this client sent and is waiting for a reply to.
public struct SentCommand: Equatable, Sendable {
    /// The protocol line as sent, without its terminator, e.g. "JOIN #dev".
    public let line: String
    /// The verb in capitals, e.g. "JOIN".
    public var verb: String { ServerLine.firstWord(of: line).uppercased() }
    /// Everything after the verb, e.g. "#dev" (may be empty).
    public var arguments: String { ServerLine.rest(of: line) }

    public init(line: String) { self.line = line }
}

/// What one received line turned out to be.
public enum TrackedLine: Equatable, Sendable {
    /// A reply, with the command it answers.
    case reply(Reply, to: SentCommand)
    /// A reply although no command was waiting: the server broke the protocol.
    case unexpectedReply(Reply)
    /// An event (not a reply): nothing was popped.
    case event(ServerEvent)
}

/// The FIFO of commands waiting for their replies.
public struct ReplyTracker: Sendable {
    private var waiting: [SentCommand] = []
    private var head = 0

    public init() {}

    /// Commands sent and not yet answered.
    public var pendingCount: Int { waiting.count - head }

    /// The oldest command still waiting, if any.
    public var oldestPending: SentCommand? { head < waiting.count ? waiting[head] : nil }

    /// Records that `line` was sent; its reply will be the next unmatched one after
    /// every command sent before it.
    public mutating func sent(_ line: String) {
        waiting.append(SentCommand(line: line))
    }

    /// Classifies one received line; a reply pops the oldest waiting command.
    public mutating func receive(_ line: String) -> TrackedLine {
        switch ServerLine(parsing: line) {
        case .event(let event):
            return .event(event)
        case .reply(let reply):
            guard head < waiting.count else { return .unexpectedReply(reply) }
            let command = waiting[head]
            head += 1
            if head > 64 && head * 2 > waiting.count {  // compact now and then; amortised O(1)
                waiting.removeFirst(head)
                head = 0
            }
            return .reply(reply, to: command)
        }
    }
}
