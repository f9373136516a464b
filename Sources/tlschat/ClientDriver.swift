// ClientDriver: runs one session (scripted or interactive) on the event loop.
//
// Feeds the session what happens (server lines, the connection's end, stdin
// bytes or lines, signals, terminal resizes, and the clock: every 50 ms while
// the session's pacer holds commands) and performs the actions it returns:
// send a line, write stdout/stderr, exit. Stdin and the socket share the one
// loop thread; no other threads. On exit it closes the connection gracefully
// (bounded), stops reading stdin and restores the terminal. The decisions are
// all in ChatClient's sessions; this class only wires.
#if canImport(Glibc)
import Glibc
#endif
import ChatClient
import ChatCore
import ChatNet

final class ClientDriver {
    private let loop: EventLoop
    private let link: ServerLink
    // Exactly one of the two sessions is set. They are stored directly (not in an
    // enum payload) so each mutation happens in place instead of copying the session.
    private var interactive: InteractiveSession?
    private var script: ScriptSession?
    private var scriptFramer = LineFramer(maximumLineLength: 1 << 20)
    private var input: StandardInput?
    private var signals: SignalWatcher?
    private var reconnectTimer: LoopTimer?
    /// Armed while the interactive session has commands waiting for its pacer.
    private var pacingTimer: LoopTimer?
    private let terminal: TerminalMode?
    /// Set when the session asked to exit.
    private(set) var exitStatus: Int32?

    init(loop: EventLoop, link: ServerLink, interactive: Bool, nickname: String?, reconnect: Bool, keepGoing: Bool = false) {
        self.loop = loop
        self.link = link
        if interactive {
            self.interactive = InteractiveSession(columns: TerminalMode.columns(), nickname: nickname,
                                                  reconnect: reconnect ? ReconnectPolicy(clock: { MonotonicClock.now() / 1_000_000 }) : nil,
                                                  clock: StandardStreams.localClock)
            terminal = TerminalMode()
        } else {
            script = ScriptSession(nickname: nickname, keepGoing: keepGoing)
            terminal = nil
        }
    }

    /// Sets everything up; then run the loop until `exitStatus` is set.
    func start() throws {
        link.onOpen = { [unowned self] description in opened(description) }
        link.onWarning = { [unowned self] warning in
            if let interactive { return perform(interactive.note(warning, time: StandardStreams.localTime())) }
            StandardStreams.diagnostic(warning)
        }
        link.onLine = { [unowned self] line in
            perform(session(interactive: { $0.received(line, time: StandardStreams.localTime()) }, script: { $0.received(line) }))
        }
        link.onEnd = { [unowned self] cause in
            perform(session(interactive: { $0.disconnected(cause, time: StandardStreams.localTime(), jitter: Double.random(in: 0..<1)) },
                            script: { $0.disconnected(cause) }))
        }
        if script != nil {  // releases script lines paced below the server's rate limit
            loop.scheduleRepeating(every: .milliseconds(50)) { [unowned self] in
                perform(script!.tick(now: MonotonicClock.now()))
                if let input = self.input, input.isPaused, script!.unsentCount < 1024 { input.resume() }
            }
        }
        var watched = [SIGINT, SIGTERM, SIGHUP]
        if terminal != nil { watched.append(SIGWINCH) }
        signals = try SignalWatcher(loop: loop, signals: watched) { [unowned self] number in signalled(number) }
        try terminal?.enter()
        let input = StandardInput(loop: loop, onBytes: { [unowned self] bytes in inputBytes(bytes) },
                                  onEnd: { [unowned self] in inputEnded() })
        self.input = input
        try input.start()
        if let interactive { perform(interactive.start()) }
        link.start()
    }

    /// Closes the connection (waiting briefly for a clean TLS close), stops input, restores the terminal.
    func finish() {
        link.close()
        _ = try? loop.run(for: .seconds(2)) { !link.isShuttingDown }
        input?.stop()
        signals?.close()
        terminal?.restore()
    }

    // MARK: Events

    private func opened(_ description: String) {
        if let interactive {
            perform(interactive.note("connected: \(description)", time: StandardStreams.localTime()))
        }
    }

    private func inputBytes(_ bytes: UnsafeRawBufferPointer) {
        if interactive != nil {
            perform(interactive!.tick(now: MonotonicClock.now()))  // the pacer sees the current time
            return perform(interactive!.typed(bytes, time: StandardStreams.localTime()))
        }
        var actions: [ClientAction] = []
        for event in scriptFramer.feed(bytes) {
            switch event {
            case .line(let line): actions += script!.scriptLine(String(decoding: line, as: UTF8.self))
            case .tooLong: actions += script!.scriptLineTooLong()
            }
        }
        perform(actions)
        if script!.unsentCount > 4096 { input?.pause() }  // memory stays bounded however fast stdin is
    }

    private func inputEnded() {
        if interactive != nil {  // the terminal went away
            return perform(interactive!.quit(time: StandardStreams.localTime()))
        }
        var actions: [ClientAction] = []
        if scriptFramer.bufferedByteCount > 0 {  // a last line without "\n"
            let events = [UInt8(ascii: "\n")].withUnsafeBytes { scriptFramer.feed($0) }
            for case .line(let line) in events { actions += script!.scriptLine(String(decoding: line, as: UTF8.self)) }
        }
        actions += script!.inputEnded()
        perform(actions)
    }

    private func signalled(_ number: Int32) {
        switch (number, interactive != nil) {
        case (SIGWINCH, true):
            perform(interactive!.resized(columns: TerminalMode.columns()))
        case (SIGINT, true):  // Ctrl-C: clears a typed line; quits on an empty one
            perform(interactive!.interrupted(time: StandardStreams.localTime()))
        default:
            if interactive != nil { StandardStreams.output(TerminalRenderer.eraseLine) }
            StandardStreams.diagnostic("interrupted by signal \(number)")
            exit(128 + number)
        }
    }

    // MARK: Actions

    /// Runs `interactive` or `script` on the current session and stores it back.
    private func session(interactive: (inout InteractiveSession) -> [ClientAction],
                         script: (inout ScriptSession) -> [ClientAction]) -> [ClientAction] {
        if self.interactive != nil { return interactive(&self.interactive!) }
        return script(&self.script!)
    }

    private func perform(_ actions: [ClientAction]) {
        for action in actions {
            guard exitStatus == nil else { return }
            switch action {
            case .send(let line): link.send(line)
            case .output(let text): StandardStreams.output(text)
            case .diagnostic(let text): StandardStreams.diagnostic(text)
            case .exit(let status): exit(status)
            case .reconnect(let milliseconds):
                reconnectTimer?.cancel()
                reconnectTimer = loop.schedule(after: .milliseconds(milliseconds)) { [unowned self] in
                    reconnectTimer = nil
                    if exitStatus == nil { link.restart() }
                }
            }
        }
        if pacingTimer == nil, exitStatus == nil, interactive?.needsTicks == true {
            pacingTimer = loop.schedule(after: .milliseconds(50)) { [unowned self] in
                pacingTimer = nil
                perform(interactive!.tick(now: MonotonicClock.now()))
            }
        }
    }

    private func exit(_ status: Int32) {
        exitStatus = status
        input?.stop()
        loop.stop()
    }
}
