// ClientDriver: runs one session (scripted or interactive) on the event loop.
//
// Feeds the session what happens (server lines, the connection's end, stdin
// bytes or lines, signals, terminal resizes) and performs the actions it
// returns: send a line, write stdout/stderr, exit. Stdin and the socket share
// the one loop thread; no other threads. On exit it closes the connection
// gracefully (bounded), stops reading stdin and restores the terminal. The
// decisions are all in ChatClient's sessions; this class only wires.
#if canImport(Glibc)
import Glibc
#endif
import ChatClient
import ChatCore
import ChatNet

final class ClientDriver {
    private enum Mode {
        case script(ScriptSession, LineFramer)
        case interactive(InteractiveSession)
    }

    private let loop: EventLoop
    private let link: ServerLink
    private var mode: Mode
    private var input: StandardInput?
    private var signals: SignalWatcher?
    private let terminal: TerminalMode?
    /// Set when the session asked to exit.
    private(set) var exitStatus: Int32?

    init(loop: EventLoop, link: ServerLink, interactive: Bool, nickname: String?) {
        self.loop = loop
        self.link = link
        if interactive {
            mode = .interactive(InteractiveSession(columns: TerminalMode.columns(), nickname: nickname))
            terminal = TerminalMode()
        } else {
            mode = .script(ScriptSession(nickname: nickname), LineFramer(maximumLineLength: 1 << 20))
            terminal = nil
        }
    }

    /// Sets everything up; then run the loop until `exitStatus` is set.
    func start() throws {
        link.onOpen = { [unowned self] description in opened(description) }
        link.onLine = { [unowned self] line in
            perform(session(interactive: { $0.received(line, time: StandardStreams.localTime()) }, script: { $0.received(line) }))
        }
        link.onEnd = { [unowned self] cause in
            perform(session(interactive: { $0.disconnected(cause, time: StandardStreams.localTime()) }, script: { $0.disconnected(cause) }))
        }
        var watched = [SIGINT, SIGTERM, SIGHUP]
        if terminal != nil { watched.append(SIGWINCH) }
        signals = try SignalWatcher(loop: loop, signals: watched) { [unowned self] number in signalled(number) }
        try terminal?.enter()
        let input = StandardInput(loop: loop, onBytes: { [unowned self] bytes in inputBytes(bytes) },
                                  onEnd: { [unowned self] in inputEnded() })
        self.input = input
        try input.start()
        if case .interactive(let session) = mode { perform(session.start()) }
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
        if case .interactive(let session) = mode {
            perform(session.note("connected: \(description)", time: StandardStreams.localTime()))
        }
    }

    private func inputBytes(_ bytes: UnsafeRawBufferPointer) {
        switch mode {
        case .interactive:
            perform(session(interactive: { $0.typed(bytes, time: StandardStreams.localTime()) }, script: { _ in [] }))
        case .script(var session, var framer):
            var actions: [ClientAction] = []
            for event in framer.feed(bytes) {
                switch event {
                case .line(let line): actions += session.scriptLine(String(decoding: line, as: UTF8.self))
                case .tooLong: actions += session.scriptLineTooLong()
                }
            }
            mode = .script(session, framer)
            perform(actions)
        }
    }

    private func inputEnded() {
        switch mode {
        case .interactive:  // the terminal went away
            perform(session(interactive: { $0.quit(time: StandardStreams.localTime()) }, script: { _ in [] }))
        case .script(var session, let framer):
            var actions: [ClientAction] = []
            if framer.bufferedByteCount > 0 {  // a last line without "\n"
                var flushing = framer
                let events = [UInt8(ascii: "\n")].withUnsafeBytes { flushing.feed($0) }
                for case .line(let line) in events { actions += session.scriptLine(String(decoding: line, as: UTF8.self)) }
            }
            actions += session.inputEnded()
            mode = .script(session, framer)
            perform(actions)
        }
    }

    private func signalled(_ number: Int32) {
        switch (number, mode) {
        case (SIGWINCH, .interactive):
            perform(session(interactive: { $0.resized(columns: TerminalMode.columns()) }, script: { _ in [] }))
        case (SIGINT, .interactive):
            perform(session(interactive: { $0.quit(time: StandardStreams.localTime()) }, script: { _ in [] }))
        default:
            if case .interactive = mode { StandardStreams.output(TerminalRenderer.eraseLine) }
            StandardStreams.diagnostic("interrupted by signal \(number)")
            exit(128 + number)
        }
    }

    // MARK: Actions

    /// Runs `interactive` or `script` on the current session and stores it back.
    private func session(interactive: (inout InteractiveSession) -> [ClientAction],
                         script: (inout ScriptSession) -> [ClientAction]) -> [ClientAction] {
        switch mode {
        case .interactive(var session):
            let actions = interactive(&session)
            mode = .interactive(session)
            return actions
        case .script(var session, let framer):
            let actions = script(&session)
            mode = .script(session, framer)
            return actions
        }
    }

    private func perform(_ actions: [ClientAction]) {
        for action in actions {
            guard exitStatus == nil else { return }
            switch action {
            case .send(let line): link.send(line)
            case .output(let text): StandardStreams.output(text)
            case .diagnostic(let text): StandardStreams.diagnostic(text)
            case .exit(let status): exit(status)
            }
        }
    }

    private func exit(_ status: Int32) {
        exitStatus = status
        input?.stop()
        loop.stop()
    }
}
