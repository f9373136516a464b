// InteractiveSession+Sending: what happens to the lines the user submits.
//
// Lines ended in one chunk of input are submitted together after the chunk;
// more than `pasteConfirmationThreshold` non-blank lines at once are a paste
// that waits for a y/n answer (more pasted lines arriving meanwhile join it;
// n or Ctrl-C discards them, saying so). Each line is translated; a message
// longer than the server's line limit is split (`MessageSplitter`) and the
// user is told; a line that cannot be split is refused and put back in the
// input line (or, if something else is typed there, left in the history).
// Commands then go through the `CommandPacer`, which releases them under the
// server's advertised rate; until the connection is greeted and its
// capabilities known, they wait. This file does no I/O. Pure.

extension InteractiveSession {
    /// Submits the lines one chunk of input ended (or asks first when they are a large paste).
    mutating func submitTyped(_ lines: [String], time: String) -> [ClientAction] {
        guard !lines.isEmpty, !finished else { return [] }
        let nonBlank = lines.filter { $0.contains(where: { $0 != " " && $0 != "\t" }) }
        if pendingPaste != nil {
            pendingPaste! += nonBlank
            return [redraw()]
        }
        if nonBlank.count > Self.pasteConfirmationThreshold {
            pendingPaste = nonBlank
            return [print(["[\(time)] you pasted \(nonBlank.count) lines: y sends them all (paced to the server's rate), n discards them"])]
        }
        var actions: [ClientAction] = []
        for line in lines { actions += submit(line, time: time) }
        return actions
    }

    /// One key typed while a paste waits for y/n.
    mutating func answerPaste(_ key: Key, time: String) -> [ClientAction] {
        guard let pasted = pendingPaste else { return [] }
        switch key {
        case .insert("y"), .insert("Y"):
            pendingPaste = nil
            let pace = capabilitiesKnown ? ", paced to \(pacer.pace.burst) at once, then \(pacer.pace.perSecond.formatted1)/s" : ""
            var actions = [print(["[\(time)] sending \(pasted.count) pasted lines\(pace)"])]
            for line in pasted { actions += submit(line, time: time) }
            return actions + [redraw()]
        case .insert("n"), .insert("N"), .interrupt:
            return interrupted(time: time)
        default:
            return [.output(TerminalRenderer.bell), redraw()]
        }
    }

    private mutating func submit(_ typed: String, time: String) -> [ClientAction] {
        if InputTranslator.isHistoryCommand(typed) { return submitHistory(typed, time: time) }  // needs our room and ids
        switch InputTranslator.translate(typed, maximumLineBytes: .max) {
        case .nothing:
            return []
        case .showHelp:
            return [print(InputTranslator.helpText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))]
        case .invalid(let message):
            return [print(["[\(time)] \(message)"])]
        case .send(let command):
            return submitCommand(command, time: time, typed: typed)
        }
    }

    /// Sends (through the pacer) or keeps for after the greeting; `typed` is what the user typed.
    mutating func submitCommand(_ command: String, time: String, typed: String? = nil) -> [ClientAction] {
        if SentCommand(line: command).verb == "BYE" { quitting = true }
        guard identity.isGreeted && capabilitiesKnown else {
            guard identity.isGreeted || waitingForGreeting.count < Self.maximumWaitingCommands else {
                return [print(["[\(time)] (not connected, and \(Self.maximumWaitingCommands) commands already wait: not queued)"])]
            }
            waitingForGreeting.append(command)
            return identity.isGreeted ? [redraw()] : [print(["[\(time)] (not connected yet: will send when the server greets us)"])]
        }
        return enqueue(command, time: time, typed: typed) + release() + [redraw()]
    }

    /// Queues `command` for the pacer, split when it is longer than the server's line limit;
    /// returns what to tell the user.
    mutating func enqueue(_ command: String, time: String, typed: String? = nil) -> [ClientAction] {
        guard let parts = MessageSplitter.split(command, lineLimit: capabilities.lineLimit) else {
            return refuseTooLong(typed, bytes: command.utf8.count, time: time)
        }
        for part in parts { pacer.enqueue(part) }
        guard parts.count > 1 else { return [] }
        return [print(["[\(time)] the message is longer than the server's line limit (\(command.utf8.count) of \(capabilities.lineLimit) bytes): sending it as \(parts.count) messages"])]
    }

    /// Sends what the pacer lets go now (the caller redraws: the queue count is in the prompt).
    mutating func release() -> [ClientAction] {
        pacer.release().map { ClientAction.send($0) }
    }

    private mutating func refuseTooLong(_ typed: String?, bytes: Int, time: String) -> [ClientAction] {
        var where_ = "it is in the history (Up)"
        if let typed, editor.characters.isEmpty, editor.replace(from: 0, with: typed) {
            where_ = "it is back in the input line"
        }
        return [print(["[\(time)] the line is too long for the server (\(bytes) bytes; it accepts \(capabilities.lineLimit)) and only messages can be split: nothing sent; \(where_)"])]
    }
}

extension Double {
    /// "9" or "1.8": at most one decimal.
    var formatted1: String {
        let tenths = (self * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(tenths / 10)
    }
}
