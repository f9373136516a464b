// InteractiveSession+Receiving: one line from the server at a time.
//
// The greeting (HELLO) is answered at once with a silent `CAP LS`; everything
// else waits for its reply, which sets the pace and the line limit
// (`ServerCapabilities`; a server without CAP answers ERR and the client
// keeps ScriptSession's pace and the protocol's 4096 bytes). Then the
// commands of a reconnection restore, the lines typed meanwhile (and
// `--name`'s NICK), a silent WHOAMI (it confirms name and room, and keeps a
// reader within the server's first-command deadline) and a silent WHO of the
// current room (for Tab completion) go out, paced. The server's idle PING is
// answered silently. Replies to the session's own commands are not shown.
// With a server that keeps history, a silent CAP REQ goes first, and silent
// HISTORY requests (catch-up, or the greeting room's recent messages) follow
// the restore's JOINs; stored and past messages go through `ClientHistory`.
// Private messages and mentions of our name are printed as alerts. This file
// does no I/O. Pure.

extension InteractiveSession {
    /// One line from the server (without "\n").
    public mutating func received(_ line: String, time: String) -> [ClientAction] {
        guard !finished else { return [] }
        let (tracked, automatic) = pacer.receive(line)
        switch tracked {
        case .event(.ping(let token)):
            let answer = "PING \(token)"  // keep-alive: answered silently, its OK is not shown either
            guard pingAnswers.insert(answer).inserted else { return [] }  // one answer per token, however often asked
            pacer.enqueue(answer, automatic: true)
            return release()
        case .reply(let reply, let command) where automatic:
            return automaticReply(reply, to: command, time: time)
        case .event(let received):
            let event: ServerEvent
            switch history.received(received, pending: pacer.oldestUnanswered, ownName: identity.name) {
            case .live(let live): event = live
            case .past(let line): return [print([line], faded: true)]
            case .hidden: return []
            }
            roster.apply(event)
            if case .notice(let topic, _) = event { lastNotice = topic }
            if case .hello = event {
                let first = !identity.isGreeted
                identity.apply(event)
                if first { return greeted(event, time: time) }
            }
            return [print(EventFormatter.format(event, time: time), alert: EventFormatter.isAlert(event, ownName: identity.name))]
        case .unexpectedReply(let reply):
            return [print(EventFormatter.formatUnexpected(reply, time: time))]
        case .reply(let reply, let command):
            let newlyJoined = Self.joinedRoom(reply).map { !identity.rooms.contains($0) } ?? false
            identity.apply(reply)
            roster.apply(reply)
            if case .ok("JOIN", let details) = reply, let room = ServerLine.words(details).first {
                pacer.enqueue("WHO \(room)", automatic: true)  // its members, for Tab
            }
            if case .error("RATE_LIMITED", _) = reply { pacer.backOff() }
            let lines = EventFormatter.format(reply, to: command, identity: identity, time: time)
                + historyReplied(reply, to: command, automatic: false, newlyJoined: newlyJoined, time: time)
            if command.verb == "BYE", case .ok = reply {
                finished = true
                return [.output(renderer.clearInputLine() + lines.map { $0 + "\r\n" }.joined()), .exit(ExitStatus.success)]
            }
            return release() + [print(lines)]
        }
    }

    /// The first greeting on a connection: ask for the server's limits before anything else.
    private mutating func greeted(_ hello: ServerEvent, time: String) -> [ClientAction] {
        reconnection?.connected()
        let lines = EventFormatter.format(hello, time: time)
        return [print(lines), .send(pacer.sendAndHold("CAP LS"))]
    }

    /// A reply to a command the session sent on its own: never shown.
    private mutating func automaticReply(_ reply: Reply, to command: SentCommand, time: String) -> [ClientAction] {
        switch command.verb {
        case "CAP" where ServerLine.firstWord(of: command.arguments).uppercased() == "REQ":
            let lines = history.capabilityReply(reply, to: command)
            return release() + (lines.isEmpty ? [] : [print(lines.map { "[\(time)] \($0)" })])
        case "CAP":
            var advertised: ServerCapabilities?
            if case .ok(_, let details) = reply { advertised = ServerCapabilities(capabilityListDetails: details) }
            capabilities = advertised ?? .protocolDefaults
            capabilitiesKnown = true
            pacer.resume(with: advertised)
            let (capabilityRequest, note) = history.capabilitiesArrived(advertised)
            if let capabilityRequest { pacer.enqueue(capabilityRequest, automatic: true) }  // before any JOIN
            let restoring = restore.map { $0.commands(after: identity) } ?? []
            let historyRequests = history.requestsAfterGreeting(greetedRoom: identity.currentRoom, previousRooms: restore?.rooms)
            restoreInFlight = restore
            restore = nil
            var actions: [ClientAction] = note.map { [print(["[\(time)] \($0)"])] } ?? []
            for command in restoring { actions += enqueue(command, time: time) }
            for request in historyRequests { pacer.enqueue(request, automatic: true) }  // after the JOINs they need
            let queued = waitingForGreeting
            waitingForGreeting = []
            for command in queued {
                if SentCommand(line: command).verb == "BYE" { quitting = true }
                actions += enqueue(command, time: time)
            }
            pacer.enqueue("WHOAMI", automatic: true)
            if identity.currentRoom != nil { pacer.enqueue("WHO", automatic: true) }
            return actions + release() + [redraw()]
        case "WHOAMI":
            identity.apply(reply)
            restoreInFlight = nil
            return release() + [redraw()]
        case "HISTORY":
            let lines = historyReplied(reply, to: command, automatic: true, time: time)
            return release() + (lines.isEmpty ? [] : [print(lines)])
        case "WHO":
            roster.apply(reply)
        case "PING":
            pingAnswers.remove(command.line)
        default:
            break
        }
        return release()
    }
}
