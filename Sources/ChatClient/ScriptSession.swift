// ScriptSession: the scripted mode (stdin is not a terminal) as a pure state
// machine.
//
// Script lines use the interactive syntax (text -> SAY, /commands mapped) and
// are sent as they arrive, pipelined; lines read before the server's greeting
// wait for it (after `--name`'s NICK). Every line received is echoed to
// stdout verbatim. Sends are paced below the server's default command rate (a
// burst of 30, then 15 per second, at most 64 unanswered), so a long script
// never meets `ERR RATE_LIMITED`; the driver calls `tick(now:)` regularly to
// release paced lines. After a command that changes what later lines mean
// (JOIN, PART, NICK, CAP REQ, unknown verbs: `ScriptPipeline.isBarrier`)
// nothing more is sent until its reply is in.
//
// The first `ERR` stops the script, like `set -e`: no further line is sent
// (queued ones are dropped, later ones ignored), BYE is sent behind the
// commands already in flight (the server carries those out and answers them
// first; their replies are printed), and `OK BYE` ends the session with
// status 1 and the error on stderr, naming the script line and the command.
// If the replies do not come within 10 s, it gives up with status 1 all the
// same. With `keepGoing` (tlschat --keep-going) there are no barriers and no
// stop: every line is sent and the status is 1 at the end if any reply was
// `ERR`. Without errors, BYE is sent at end of input once every command has
// its reply, and `OK BYE` ends with status 0. A script line that maps to
// nothing is status 2 at once, a connection lost before `OK BYE` status 3.
// Lines after the script's own BYE are ignored. The driver does the I/O.
import ChatCore

public struct ScriptSession: Sendable {
    /// Client-side pacing: below tlschatd's defaults (burst 40, 20/s).
    public static let pacingBurst = 30
    public static let pacingPerSecond = 15.0
    public static let maximumInFlight = 64
    /// After the first ERR: how long the replies to the commands already sent may take.
    public static let stopGraceNanoseconds: UInt64 = 10_000_000_000

    /// Why and where the script stopped after its first error.
    private struct Stop {
        let failedLine: Int?
        let lastLineSent: Int
        let deadline: UInt64
        var linesNotSent: Int
    }

    private let keepGoing: Bool
    private var pipeline: ScriptPipeline
    private var clock: UInt64 = 0
    private var greeted = false
    private var scriptEnded = false
    private var byeQueued = false
    private var warnedAboutLinesAfterBye = false
    private var firstError: String?
    private var laterErrors = 0
    private var stop: Stop?
    private var finished = false
    private var scriptLineNumber = 0

    /// `nickname`: sent as `NICK nickname` right after the greeting. `keepGoing`: carry on
    /// after an `ERR` instead of stopping (and send without barriers).
    public init(nickname: String? = nil, keepGoing: Bool = false) {
        self.keepGoing = keepGoing
        pipeline = ScriptPipeline(burst: Self.pacingBurst, perSecond: Self.pacingPerSecond,
                                  maximumInFlight: Self.maximumInFlight, usesBarriers: !keepGoing)
        if let nickname { pipeline.enqueue("NICK \(nickname)", from: .nameOption) }
    }

    /// True once the session asked to exit.
    public var isFinished: Bool { finished }

    /// Lines waiting to be sent (for the pacer, the in-flight cap or a barrier).
    public var unsentCount: Int { pipeline.unsentCount }

    /// One script line (without "\n"; a trailing "\r" is removed).
    public mutating func scriptLine(_ raw: String) -> [ClientAction] {
        guard !finished else { return [] }
        scriptLineNumber += 1
        let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
        let action = InputTranslator.translate(line)
        if stop != nil {  // stopped at an error: nothing more is sent, whatever the line is
            if action != .nothing { stop!.linesNotSent += 1 }
            return []
        }
        switch action {
        case .nothing:
            return []
        case .showHelp:
            return [.diagnostic(InputTranslator.helpText)]
        case .invalid(let message):
            finished = true
            return [.diagnostic("script line \(scriptLineNumber): \(message)"), .exit(ExitStatus.scriptError)]
        case .send(let command):
            if byeQueued {
                if warnedAboutLinesAfterBye { return [] }
                warnedAboutLinesAfterBye = true
                return [.diagnostic("script line \(scriptLineNumber): ignoring lines after BYE")]
            }
            if isBye(command) { byeQueued = true }
            pipeline.enqueue(command, from: .scriptLine(scriptLineNumber))
            return release()
        }
    }

    /// A script line longer than any command can be (the driver's framer gave up on it).
    public mutating func scriptLineTooLong() -> [ClientAction] {
        guard !finished else { return [] }
        scriptLineNumber += 1
        if stop != nil {
            stop!.linesNotSent += 1
            return []
        }
        finished = true
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
        let actions: [ClientAction] = [.output(Sanitizer.forTerminal(line) + "\n")]  // a hostile server cannot drive our terminal
        let (tracked, origin) = pipeline.receive(line)
        switch tracked {
        case .event(.ping(let token)):
            pipeline.enqueue("PING \(token)", from: .automatic)  // keep-alive: the reply is printed like any other
        case .event(let event):
            if case .hello = event { greeted = true }
        case .unexpectedReply(let reply):
            failed("unexpected reply with no command waiting: \(describe(reply))", at: nil)
        case .reply(let reply, let command):
            if case .error = reply { failed(describe(reply, to: command, from: origin), at: origin) }
            if command.verb == "BYE" {  // OK or not, the script is over (an ERR to BYE must not hang us)
                finished = true
                return actions + ending()
            }
        }
        return actions + release() + sendByeIfDone()
    }

    /// The connection ended (or never opened).
    public mutating func disconnected(_ cause: DisconnectCause) -> [ClientAction] {
        guard !finished else { return [] }
        finished = true
        var actions: [ClientAction] = [.diagnostic(DisconnectExplainer.explain(cause))]
        if let oldest = pipeline.oldestPending {
            actions.append(.diagnostic("\(pipeline.pendingCount) command(s) got no reply, first: \(oldest.line)"))
        } else if !greeted {
            actions.append(.diagnostic("no greeting from the server; nothing was sent"))
        }
        if let firstError { actions.append(.diagnostic("first error: \(Sanitizer.forTerminal(firstError))")) }
        if let summary = stopSummary() { actions.append(.diagnostic(summary)) }
        return actions + [.exit(ExitStatus.connectionFailed)]
    }

    /// Releases paced lines and enforces the wait after an error; call it regularly with
    /// MonotonicClock time.
    public mutating func tick(now: UInt64) -> [ClientAction] {
        guard !finished else { return [] }
        clock = max(clock, now)
        if let stop, clock >= stop.deadline {
            finished = true
            var actions = errorReport()
            let oldest = pipeline.oldestPending.map { ", first: \($0.line)" } ?? ""
            actions.append(.diagnostic("gave up: \(pipeline.pendingCount) command(s) sent before the error got no reply within \(Self.stopGraceNanoseconds / 1_000_000_000) s\(oldest)"))
            return actions + [.exit(ExitStatus.commandFailed)]
        }
        return release()
    }

    // MARK: Errors

    /// Records an error; without `keepGoing` the first one stops the script.
    private mutating func failed(_ description: String, at origin: CommandOrigin?) {
        if firstError == nil { firstError = description } else { laterErrors += 1 }
        guard !keepGoing, stop == nil else { return }
        var failedLine: Int?
        if case .scriptLine(let number) = origin { failedLine = number }
        stop = Stop(failedLine: failedLine, lastLineSent: pipeline.lastScriptLineSent,
                    deadline: clock + Self.stopGraceNanoseconds, linesNotSent: pipeline.discardUnsent())
        if !pipeline.byeSent {  // behind the commands in flight: the server answers them first
            pipeline.enqueue("BYE", from: .automatic)
            byeQueued = true
        }
    }

    /// The end of the session once `OK BYE` (or an ERR to BYE) arrived.
    private func ending() -> [ClientAction] {
        guard firstError != nil else { return [.exit(ExitStatus.success)] }
        return errorReport() + [.exit(ExitStatus.commandFailed)]
    }

    private func errorReport() -> [ClientAction] {
        guard let firstError else { return [] }
        var actions: [ClientAction] = [.diagnostic(Sanitizer.forTerminal(firstError))]
        if laterErrors > 0 { actions.append(.diagnostic("\(laterErrors) later command(s) got ERR too (their replies are above)")) }
        if let summary = stopSummary() { actions.append(.diagnostic(summary)) }
        return actions
    }

    /// What the stop left out, when it left something out (or may have: input had not ended).
    private func stopSummary() -> String? {
        guard let stop, stop.linesNotSent > 0 || !scriptEnded else { return nil }
        var text = "stopped at the first error (--keep-going runs every line): "
        if let failed = stop.failedLine, stop.lastLineSent > failed {
            let range = stop.lastLineSent == failed + 1 ? "line \(stop.lastLineSent) was" : "lines \(failed + 1)-\(stop.lastLineSent) were"
            text += "script \(range) already sent when the error arrived; "
        }
        text += stop.lastLineSent == 0 ? "no script line was sent" : "nothing after script line \(stop.lastLineSent) was sent"
        return text
    }

    // MARK: Sending

    private mutating func release() -> [ClientAction] {
        guard greeted else { return [] }
        return pipeline.release(now: clock).map { .send($0) }
    }

    private mutating func sendByeIfDone() -> [ClientAction] {
        guard scriptEnded, greeted, !byeQueued, pipeline.pendingCount == 0, pipeline.unsentCount == 0 else { return [] }
        byeQueued = true
        pipeline.enqueue("BYE", from: .automatic)
        return release()
    }

    private func isBye(_ command: String) -> Bool {
        SentCommand(line: command).verb == "BYE"
    }

    private func describe(_ reply: Reply, to command: SentCommand, from origin: CommandOrigin?) -> String {
        switch origin {
        case .scriptLine(let number): return "script line \(number): \(command.line): \(describe(reply))"
        case .nameOption: return "--name: \(command.line): \(describe(reply))"
        case .automatic, nil: return "\(command.line): \(describe(reply))"
        }
    }

    private func describe(_ reply: Reply) -> String {
        switch reply {
        case .ok(let verb, let details): return details.isEmpty ? "OK \(verb)" : "OK \(verb) \(details)"
        case .error(let code, let text): return "ERR \(code) \(text)"
        }
    }
}
