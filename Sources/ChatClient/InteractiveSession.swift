// InteractiveSession: the interactive mode (stdin is a terminal) as a pure
// state machine: keystrokes in, protocol lines and screen output out.
//
// Keys go through `KeyDecoder` and `LineEditor`; Enter translates the line
// (`InputTranslator`) into a command, local help or a local error. Every
// incoming line is formatted (`EventFormatter`) and printed above the input
// line, which is then redrawn with the cursor where it was (`TerminalRenderer`),
// so typing is never garbled. The prompt follows our name and current room
// (`SessionIdentity`). Quitting (/quit, Ctrl-D on an empty line, Ctrl-C)
// sends BYE and exits on its OK; a second quit exits at once. With
// reconnection on, a lost connection is explained and retried after a delay
// (`ReconnectPolicy`), and the next greeting restores name and rooms
// (`SessionRestore`). Time stamps and randomness come from the caller. The
// driver does the I/O and the terminal modes.

public struct InteractiveSession: Sendable {
    public private(set) var identity = SessionIdentity()
    public private(set) var editor = LineEditor()
    private var decoder = KeyDecoder()
    private var tracker = ReplyTracker()
    private var renderer: TerminalRenderer
    private var waitingForGreeting: [String] = []
    private var quitting = false
    private var finished = false
    /// Commands the session sent on its own (answers to the server's PING), whose replies are not shown.
    private var automaticCommands: Set<String> = []
    /// Set when lost connections are retried (`tlschat --reconnect`).
    private var reconnection: ReconnectPolicy?
    /// What to restore after the next greeting, once a greeted connection was lost.
    private var restore: SessionRestore?
    /// A restore whose commands are sent but not all answered yet (until our silent WHOAMI,
    /// sent after them, is answered): if the connection drops again, it is restored again.
    private var restoreInFlight: SessionRestore?
    /// The topic of the last NOTICE on this connection ("shutdown", "replaced", ...).
    private var lastNotice: String?
    /// Commands typed before a greeting wait; beyond this many they are refused.
    static let maximumWaitingCommands = 100

    /// `columns`: the terminal width. `nickname`: sent as `NICK nickname` after the greeting.
    /// `reconnect`: retry lost connections (see `ReconnectPolicy`) instead of exiting.
    public init(columns: Int, nickname: String? = nil, reconnect: ReconnectPolicy? = nil) {
        renderer = TerminalRenderer(columns: columns)
        reconnection = reconnect
        if let nickname { waitingForGreeting.append("NICK \(nickname)") }
    }

    /// True once the session asked to exit.
    public var isFinished: Bool { finished }

    /// The first drawing of the input line.
    public func start() -> [ClientAction] {
        [.output(renderer.inputLine(prompt: identity.prompt, editor: editor))]
    }

    /// Bytes typed on the terminal.
    public mutating func typed<Bytes: Sequence>(_ bytes: Bytes, time: String) -> [ClientAction] where Bytes.Element == UInt8 {
        var actions: [ClientAction] = []
        var needsRedraw = false  // one redraw per chunk of input, however many keys (a paste)
        for key in decoder.feed(bytes) {
            guard !finished else { break }
            switch editor.apply(key) {
            case .edited, .redraw: needsRedraw = true
            case .ignored: break
            case .submitted(let line):
                needsRedraw = false
                actions += submit(line, time: time)
            case .endOfInput, .interrupt:
                needsRedraw = false
                actions += quit(time: time)
            }
        }
        if needsRedraw && !finished { actions.append(redraw()) }
        return actions
    }

    /// Ctrl-C as a signal, or the terminal going away: quit (a second time: at once).
    public mutating func quit(time: String) -> [ClientAction] {
        guard !finished else { return [] }
        if quitting || !identity.isGreeted {
            finished = true
            return [.output(renderer.clearInputLine()), .exit(ExitStatus.success)]
        }
        return submitCommand("BYE", time: time)
    }

    /// A local information line (e.g. the TLS parameters once connected), printed above the input line.
    public func note(_ text: String, time: String) -> [ClientAction] {
        finished ? [] : [print(["[\(time)] \(text)"])]
    }

    /// The terminal was resized.
    public mutating func resized(columns: Int) -> [ClientAction] {
        renderer.columns = max(columns, 20)
        return [redraw()]
    }

    /// One line from the server (without "\n").
    public mutating func received(_ line: String, time: String) -> [ClientAction] {
        guard !finished else { return [] }
        var actions: [ClientAction] = []
        let lines: [String]
        switch tracker.receive(line) {
        case .event(.ping(let token)):
            let answer = "PING \(token)"  // keep-alive: answered silently, its OK is not shown either
            guard !automaticCommands.contains(answer) else { return [] }  // one answer per token, however often asked
            automaticCommands.insert(answer)
            tracker.sent(answer)
            return [.send(answer)]
        case .reply(let reply, let command) where automaticCommands.remove(command.line) != nil:
            identity.apply(reply)
            if command.verb == "WHOAMI" { restoreInFlight = nil }
            return command.verb == "WHOAMI" ? [redraw()] : []
        case .event(let event):
            let firstGreeting = !identity.isGreeted
            if case .hello = event { identity.apply(event) }
            if case .notice(let topic, _) = event { lastNotice = topic }
            lines = EventFormatter.format(event, time: time)
            if case .hello = event, firstGreeting {
                actions.append(print(lines))
                reconnection?.connected()
                let queued = (restore.map { $0.commands(after: identity) } ?? []) + waitingForGreeting
                restoreInFlight = restore
                restore = nil
                waitingForGreeting = []
                for command in queued { actions += submitCommand(command, time: time) }
                // A silent command of our own: a user who only reads must not hit the server's
                // first-command deadline, and WHOAMI confirms name and room after any NICK.
                automaticCommands.insert("WHOAMI")
                tracker.sent("WHOAMI")
                actions.append(.send("WHOAMI"))
                return actions
            }
        case .unexpectedReply(let reply):
            lines = EventFormatter.formatUnexpected(reply, time: time)
        case .reply(let reply, let command):
            identity.apply(reply)
            lines = EventFormatter.format(reply, to: command, identity: identity, time: time)
            if command.verb == "BYE", case .ok = reply {
                finished = true
                return [.output(renderer.clearInputLine() + lines.map { $0 + "\r\n" }.joined()), .exit(ExitStatus.success)]
            }
        }
        return [print(lines)]
    }

    /// The connection ended (or never opened).
    /// `jitter`: a random number in 0..<1 that spreads the reconnection delay.
    public mutating func disconnected(_ cause: DisconnectCause, time: String, jitter: Double = 0.5) -> [ClientAction] {
        guard !finished else { return [] }
        var text = DisconnectExplainer.explain(cause).split(separator: "\n").map { "[\(time)] \($0)" }
        if !quitting, reconnection != nil {
            switch reconnection!.decide(after: cause, lastNotice: lastNotice, unit: jitter) {
            case .retry(let delay, let explanation):
                if let explanation { text.append("[\(time)] \(explanation)") }
                return reconnectLater(text, delay: delay, time: time)
            case .stop(let reason):
                text.append("[\(time)] not reconnecting: \(reason)")
            }
        }
        finished = true
        let output = renderer.clearInputLine() + text.map { Sanitizer.forTerminal($0) + "\r\n" }.joined()
        return [.output(output), .exit(quitting ? ExitStatus.success : ExitStatus.connectionFailed)]
    }

    /// Forgets the lost connection (its unanswered commands are reported, never resent: they
    /// may have been carried out) and asks the driver to connect again after a delay.
    private mutating func reconnectLater(_ explanation: [String], delay: Int, time: String) -> [ClientAction] {
        var lines = explanation
        let unanswered = tracker.pendingCount - automaticCommands.count
        if unanswered > 0 {
            lines.append("[\(time)] \(unanswered) command(s) had no reply when the connection ended; they may or may not have been carried out")
        }
        if identity.isGreeted { restore = restoreInFlight ?? SessionRestore(identity) }
        restoreInFlight = nil
        identity = SessionIdentity()
        tracker = ReplyTracker()
        automaticCommands = []
        lastNotice = nil
        let seconds = Double(delay / 100) / 10
        lines.append("[\(time)] reconnecting in \(seconds) s (attempt \(reconnection!.attempts)); /quit or Ctrl-C gives up")
        return [print(lines), .reconnect(afterMilliseconds: delay)]
    }

    private mutating func submit(_ typed: String, time: String) -> [ClientAction] {
        switch InputTranslator.translate(typed) {
        case .nothing:
            return [redraw()]
        case .showHelp:
            return [print(InputTranslator.helpText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))]
        case .invalid(let message):
            return [print(["[\(time)] \(message)"])]
        case .send(let command):
            return submitCommand(command, time: time)
        }
    }

    private mutating func submitCommand(_ command: String, time: String) -> [ClientAction] {
        if SentCommand(line: command).verb == "BYE" { quitting = true }
        guard identity.isGreeted else {
            guard waitingForGreeting.count < Self.maximumWaitingCommands else {
                return [print(["[\(time)] (not connected, and \(Self.maximumWaitingCommands) commands already wait: not queued)"])]
            }
            waitingForGreeting.append(command)
            return [print(["[\(time)] (not connected yet: will send when the server greets us)"])]
        }
        tracker.sent(command)
        return [.send(command), redraw()]
    }

    private func redraw() -> ClientAction {
        .output(renderer.inputLine(prompt: identity.prompt, editor: editor))
    }

    private func print(_ lines: [String]) -> ClientAction {
        .output(renderer.printAbove(lines, prompt: identity.prompt, editor: editor))
    }
}
