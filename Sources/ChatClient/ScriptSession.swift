// ScriptSession: the scripted mode (stdin is not a terminal) as a pure state
// machine.
//
// Script lines use the interactive syntax (text -> SAY, /commands mapped) and
// are sent as they arrive, pipelined; lines read before the server's greeting
// wait for it (after `--name`'s NICK). Every line received is echoed to
// stdout verbatim. At end of input, once every command has its reply, BYE is
// sent if the script did not send it; `OK BYE` ends the session: status 0 if
// every reply was OK, else 1 with the first error on stderr. A script line
// that maps to nothing is status 2, a connection lost before `OK BYE` status 3.
// Lines after the script's own BYE are ignored. Sends are paced below the
// server's default command rate (a burst of 30, then 15 per second, at most 64
// unanswered), so a long script never meets `ERR RATE_LIMITED`; the driver
// calls `tick(now:)` regularly to release paced lines. The driver does the I/O.
import ChatCore

public struct ScriptSession: Sendable {
    /// Client-side pacing: below tlschatd's defaults (burst 40, 20/s).
    public static let pacingBurst = 30
    public static let pacingPerSecond = 15.0
    public static let maximumInFlight = 64
    private var outbox: [String] = []
    private var outboxHead = 0
    private var pacer = TokenBucket(capacity: ScriptSession.pacingBurst, refillPerSecond: ScriptSession.pacingPerSecond, now: 0)
    private var clock: UInt64 = 0
    private var tracker = ReplyTracker()
    private var greeted = false
    private var waitingForGreeting: [String] = []
    private var scriptEnded = false
    private var byeSent = false
    private var warnedAboutLinesAfterBye = false
    private var firstError: String?
    private var finished = false
    private var scriptLineNumber = 0

    /// `nickname`: sent as `NICK nickname` right after the greeting.
    public init(nickname: String? = nil) {
        if let nickname { waitingForGreeting.append("NICK \(nickname)") }
    }

    /// True once the session asked to exit.
    public var isFinished: Bool { finished }

    /// One script line (without "\n"; a trailing "\r" is removed).
    public mutating func scriptLine(_ raw: String) -> [ClientAction] {
        guard !finished else { return [] }
        scriptLineNumber += 1
        let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
        switch InputTranslator.translate(line) {
        case .nothing:
            return []
        case .showHelp:
            return [.diagnostic(InputTranslator.helpText)]
        case .invalid(let message):
            finished = true
            return [.diagnostic("script line \(scriptLineNumber): \(message)"), .exit(ExitStatus.scriptError)]
        case .send(let command):
            if byeSent {
                if warnedAboutLinesAfterBye { return [] }
                warnedAboutLinesAfterBye = true
                return [.diagnostic("script line \(scriptLineNumber): ignoring lines after BYE")]
            }
            guard greeted else {
                waitingForGreeting.append(command)
                if isBye(command) { byeSent = true }
                return []
            }
            return send(command)
        }
    }

    /// A script line longer than any command can be (the driver's framer gave up on it).
    public mutating func scriptLineTooLong() -> [ClientAction] {
        guard !finished else { return [] }
        finished = true
        scriptLineNumber += 1
        return [.diagnostic("script line \(scriptLineNumber): the line is too long; nothing more sent"), .exit(ExitStatus.scriptError)]
    }

    /// The script ended (stdin EOF).
    public mutating func inputEnded() -> [ClientAction] {
        guard !finished else { return [] }
        scriptEnded = true
        return sendByeIfDone()
    }

    /// One line from the server (without "\n").
    public mutating func received(_ line: String) -> [ClientAction] {
        guard !finished else { return [] }
        var actions: [ClientAction] = [.output(Sanitizer.forTerminal(line) + "\n")]  // a hostile server cannot drive our terminal
        switch tracker.receive(line) {
        case .event(.ping(let token)):
            actions += send("PING \(token)")  // keep-alive: the reply is printed like any other
        case .event(let event):
            if case .hello = event, !greeted {
                greeted = true
                let queued = waitingForGreeting
                waitingForGreeting = []
                for command in queued { actions += send(command) }
            }
        case .unexpectedReply(let reply):
            if firstError == nil { firstError = "unexpected reply with no command waiting: \(describe(reply))" }
        case .reply(let reply, let command):
            if case .error = reply, firstError == nil { firstError = "\(command.line): \(describe(reply))" }
            if command.verb == "BYE" {  // OK or not, the script is over (an ERR to BYE must not hang us)
                finished = true
                if let firstError { return actions + [.diagnostic(Sanitizer.forTerminal(firstError)), .exit(ExitStatus.commandFailed)] }
                return actions + [.exit(ExitStatus.success)]
            }
        }
        return actions + drain() + sendByeIfDone()
    }

    /// The connection ended (or never opened).
    public mutating func disconnected(_ cause: DisconnectCause) -> [ClientAction] {
        guard !finished else { return [] }
        finished = true
        var actions: [ClientAction] = [.diagnostic(DisconnectExplainer.explain(cause))]
        if tracker.pendingCount > 0 {
            actions.append(.diagnostic("\(tracker.pendingCount) command(s) got no reply, first: \(tracker.oldestPending!.line)"))
        } else if !greeted {
            actions.append(.diagnostic("no greeting from the server; nothing was sent"))
        }
        if let firstError { actions.append(.diagnostic("first error: \(firstError)")) }
        return actions + [.exit(ExitStatus.connectionFailed)]
    }

    /// Lines waiting for the pacer.
    public var unsentCount: Int { outbox.count - outboxHead }

    /// Releases paced lines; call it regularly with MonotonicClock time.
    public mutating func tick(now: UInt64) -> [ClientAction] {
        guard !finished else { return [] }
        clock = max(clock, now)
        return drain()
    }

    private mutating func send(_ command: String) -> [ClientAction] {
        if isBye(command) { byeSent = true }
        outbox.append(command)
        return drain()
    }

    private mutating func drain() -> [ClientAction] {
        var actions: [ClientAction] = []
        while outboxHead < outbox.count, tracker.pendingCount < Self.maximumInFlight, pacer.take(now: clock) {
            let command = outbox[outboxHead]
            outboxHead += 1
            tracker.sent(command)
            actions.append(.send(command))
        }
        if outboxHead == outbox.count {
            outbox.removeAll(keepingCapacity: outbox.count < 1024)
            outboxHead = 0
        }
        return actions
    }

    private mutating func sendByeIfDone() -> [ClientAction] {
        guard scriptEnded, greeted, !byeSent, tracker.pendingCount == 0, unsentCount == 0 else { return [] }
        return send("BYE")
    }

    private func isBye(_ command: String) -> Bool {
        SentCommand(line: command).verb == "BYE"
    }

    private func describe(_ reply: Reply) -> String {
        switch reply {
        case .ok(let verb, let details): return details.isEmpty ? "OK \(verb)" : "OK \(verb) \(details)"
        case .error(let code, let text): return "ERR \(code) \(text)"
        }
    }
}
