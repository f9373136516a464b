// InteractiveSession: the interactive mode (stdin is a terminal) as a pure
// state machine: keystrokes in, protocol lines and screen output out.
//
// Keys go through `KeyDecoder` and `LineEditor`; Enter translates the line
// (`InputTranslator`) into a command, local help or a local error. Every
// incoming line is formatted (`EventFormatter`) and printed above the input
// line, which is then redrawn with the cursor where it was (`TerminalRenderer`),
// so typing is never garbled; private messages and mentions of our name ring
// the bell and are highlighted. The prompt follows our name and current room
// (`SessionIdentity`) and shows how many typed lines wait for the pacer.
// Tab completes names of the current room (`RoomRoster`, `TabCompleter`) and
// /commands. Ctrl-C clears a typed line; on an empty line it discards queued
// lines, and with none it quits. Quitting (/quit, Ctrl-D on an empty line,
// Ctrl-C) sends BYE and exits on its OK; a second quit exits at once. Sending,
// pacing, long messages and pastes: InteractiveSession+Sending.swift; lines
// from the server: InteractiveSession+Receiving.swift. With reconnection on,
// a lost connection is explained and retried after a delay (`ReconnectPolicy`).
// History (ids, past messages, /history, catching up after a reconnection):
// `ClientHistory`, wired in InteractiveSession+History.swift.
// Time stamps, monotonic time and randomness come from the caller. The driver
// does the I/O and the terminal modes.

public struct InteractiveSession: Sendable {
    public internal(set) var identity = SessionIdentity()
    public internal(set) var editor = LineEditor()
    var decoder = KeyDecoder()
    var pacer = CommandPacer()
    var renderer: TerminalRenderer
    var roster = RoomRoster()
    var completer = TabCompleter()
    /// Message ids seen, past messages, /history paging and catching up (`ClientHistory`).
    var history: ClientHistory
    /// What the server advertised in `CAP LS` (its defaults until then, or if it has no CAP).
    public internal(set) var capabilities = ServerCapabilities.protocolDefaults
    /// True once `CAP LS` was answered on this connection: commands flow from then on.
    var capabilitiesKnown = false
    /// Commands typed (or restored) before the connection was ready for them.
    var waitingForGreeting: [String] = []
    /// Pasted lines waiting for the user's y/n.
    var pendingPaste: [String]?
    var quitting = false
    var finished = false
    /// Keep-alive answers (`PING TOKEN`) queued or unanswered: one answer per token.
    var pingAnswers: Set<String> = []
    /// Set when lost connections are retried (`tlschat --reconnect`).
    var reconnection: ReconnectPolicy?
    /// What to restore after the next greeting, once a greeted connection was lost.
    var restore: SessionRestore?
    /// A restore whose commands are sent but not all answered yet (until our silent WHOAMI,
    /// sent after them, is answered): if the connection drops again, it is restored again.
    var restoreInFlight: SessionRestore?
    /// The topic of the last NOTICE on this connection ("shutdown", "replaced", ...).
    var lastNotice: String?
    /// Commands typed before a greeting wait; beyond this many they are refused.
    static let maximumWaitingCommands = 100
    /// More pasted lines than this at once ask for confirmation.
    public static let pasteConfirmationThreshold = 10

    /// `columns`: the terminal width. `nickname`: sent as `NICK nickname` after the greeting.
    /// `reconnect`: retry lost connections (see `ReconnectPolicy`) instead of exiting.
    /// `clock`: shows the stored times of past messages in local time.
    public init(columns: Int, nickname: String? = nil, reconnect: ReconnectPolicy? = nil, clock: LocalClock = .utc) {
        renderer = TerminalRenderer(columns: columns)
        history = ClientHistory(clock: clock)
        reconnection = reconnect
        if let nickname { waitingForGreeting.append("NICK \(nickname)") }
    }

    /// True once the session asked to exit.
    public var isFinished: Bool { finished }

    /// User lines waiting to be sent (the prompt shows this number).
    public var queuedCount: Int { pacer.queuedCount + waitingForGreeting.count }

    /// True while commands wait for the pacer: the driver should call `tick(now:)` soon (every 50 ms).
    public var needsTicks: Bool { !finished && pacer.hasQueued && !pacer.isHolding }

    /// The first drawing of the input line.
    public func start() -> [ClientAction] {
        [redraw()]
    }

    /// Bytes typed on the terminal.
    public mutating func typed<Bytes: Sequence>(_ bytes: Bytes, time: String) -> [ClientAction] where Bytes.Element == UInt8 {
        let keys = decoder.feed(bytes)
        if pendingPaste != nil, keys.count == 1 { return answerPaste(keys[0], time: time) }  // a key typed by hand
        var actions: [ClientAction] = []
        var submitted: [String] = []  // sent after the whole chunk: many lines in one chunk are a paste
        var needsRedraw = false       // one redraw per chunk of input, however many keys
        var overflowed = false
        for key in keys {
            guard !finished else { break }
            if key == .tab {
                needsRedraw = complete() || needsRedraw
                continue
            }
            completer.reset()
            switch editor.apply(key) {
            case .edited, .redraw: needsRedraw = true
            case .ignored: break
            case .full: overflowed = true
            case .submitted(let line):
                submitted.append(line)
                needsRedraw = true
            case .endOfInput, .interrupt:
                actions += submitTyped(submitted, time: time)
                submitted = []
                needsRedraw = false
                actions += key == .interrupt ? interrupted(time: time) : quit(time: time)
            }
        }
        actions += submitTyped(submitted, time: time)
        if overflowed && !finished {
            actions.append(print(["[\(time)] the input line is full (\(editor.maximumBytes) bytes): the rest of what you typed or pasted was not inserted"]))
        } else if needsRedraw && !finished {
            actions.append(redraw())
        }
        return actions
    }

    /// Ctrl-C (as SIGINT or as a key): cancels a paste question, else clears a typed line (it
    /// stays in the history), else discards the lines waiting to be sent, else quits.
    public mutating func interrupted(time: String) -> [ClientAction] {
        guard !finished else { return [] }
        if let pasted = pendingPaste {
            pendingPaste = nil
            return [print(["[\(time)] \(pasted.count) pasted lines discarded; none of them was sent"])]
        }
        if editor.abandonLine() { return [redraw()] }
        let queued = pacer.takeQueued() + (identity.isGreeted ? waitingForGreeting : [])
        if identity.isGreeted { waitingForGreeting = [] }
        if !queued.isEmpty {
            return [print(["[\(time)] \(queued.count) queued line(s) discarded, not sent (Ctrl-C again quits)"])]
        }
        return quit(time: time)
    }

    /// Quit (Ctrl-D, the terminal going away): sends BYE; a second time, or before a greeting: at once.
    public mutating func quit(time: String) -> [ClientAction] {
        guard !finished else { return [] }
        if quitting || !identity.isGreeted {
            finished = true
            return [.output(renderer.clearInputLine() + unsentNote(time: time)), .exit(ExitStatus.success)]
        }
        return submitCommand("BYE", time: time)
    }

    /// A local information line (e.g. the TLS parameters once connected), printed above the input line.
    public func note(_ text: String, time: String) -> [ClientAction] {
        finished ? [] : [print(["[\(time)] \(text)"])]
    }

    /// The terminal was resized: the old input line is erased as the terminal rewrapped it.
    public mutating func resized(columns: Int) -> [ClientAction] {
        guard !finished else { return [] }
        let (prompt, shown) = shownInputLine()
        return [.output(renderer.resize(to: columns, prompt: prompt, editor: shown))]
    }

    /// Releases paced commands; call it with MonotonicClock time while `needsTicks`.
    public mutating func tick(now: UInt64) -> [ClientAction] {
        guard !finished else { return [] }
        pacer.advance(to: now)
        let sends = release()
        return sends.isEmpty ? [] : sends + [redraw()]
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
        let output = renderer.clearInputLine() + text.map { Sanitizer.forTerminal($0) + "\r\n" }.joined() + unsentNote(time: time)
        return [.output(output), .exit(quitting ? ExitStatus.success : ExitStatus.connectionFailed)]
    }

    /// Forgets the lost connection (its unanswered commands are reported, never resent: they
    /// may have been carried out; lines not sent yet wait for the next connection) and asks the
    /// driver to connect again after `delay` milliseconds.
    private mutating func reconnectLater(_ explanation: [String], delay: Int, time: String) -> [ClientAction] {
        var lines = explanation
        let unanswered = pacer.unansweredCount
        if unanswered > 0 {
            lines.append("[\(time)] \(unanswered) command(s) had no reply when the connection ended; they may or may not have been carried out")
        }
        let unsent = pacer.takeQueued()
        if !unsent.isEmpty {
            lines.append("[\(time)] \(unsent.count) queued line(s) were not sent yet: they will be sent once reconnected")
        }
        waitingForGreeting = unsent + waitingForGreeting
        if let pending = restoreInFlight ?? restore {
            restore = pending
        } else if identity.isGreeted {
            restore = SessionRestore(identity)
        }
        restoreInFlight = nil
        history.connectionLost(rooms: restore?.rooms ?? [])
        identity = SessionIdentity()
        pacer = CommandPacer()
        roster = RoomRoster()
        capabilitiesKnown = false
        pingAnswers = []
        lastNotice = nil
        let seconds = Double(delay / 100) / 10
        lines.append("[\(time)] reconnecting in \(seconds) s (attempt \(reconnection!.attempts)); /quit or Ctrl-C gives up")
        return [print(lines), .reconnect(afterMilliseconds: delay)]
    }

    /// Tab: completes a name of the current room (not ours) or a /command.
    private mutating func complete() -> Bool {
        let me = identity.name?.lowercased()
        let names = identity.currentRoom.map { roster.names(in: $0) }?.filter { $0.lowercased() != me } ?? []
        return completer.complete(&editor, names: names, commands: InputTranslator.commandNames)
    }

    /// Says which lines the user typed were never sent (before exiting).
    private func unsentNote(time: String) -> String {
        let count = queuedCount + (pendingPaste?.count ?? 0)
        guard count > 0 else { return "" }
        return "[\(time)] \(count) line(s) you typed were not sent\r\n"
    }

    // MARK: Drawing

    /// The prompt and editor the input line shows now (a question while a paste waits for y/n).
    func shownInputLine() -> (String, LineEditor) {
        if let pasted = pendingPaste {
            return ("paste \(pasted.count) lines? (y/n) ", LineEditor())
        }
        let queued = queuedCount
        return ((queued > 0 ? "(\(queued) queued) " : "") + identity.prompt, editor)
    }

    func redraw() -> ClientAction {
        let (prompt, shown) = shownInputLine()
        return .output(renderer.inputLine(prompt: prompt, editor: shown))
    }

    func print(_ lines: [String], alert: Bool = false, faded: Bool = false) -> ClientAction {
        let (prompt, shown) = shownInputLine()
        return .output(renderer.printAbove(lines, prompt: prompt, editor: shown, alert: alert, faded: faded))
    }
}
