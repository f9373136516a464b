// InteractiveSession+History: the session's wiring to `ClientHistory`:
// `/history [NAME|#room] [N]` becomes a HISTORY request that pages back from
// the oldest message shown (refused locally when the server keeps no history
// or there is no room to name), and replies hand their ids, `unstored` notes
// and catch-up steps to `ClientHistory`, whose follow-up requests are queued
// silently. The decisions are in `ClientHistory`; this file does no I/O. Pure.

extension InteractiveSession {
    /// `/history ...` as typed.
    mutating func submitHistory(_ typed: String, time: String) -> [ClientAction] {
        guard let request = InputTranslator.historyRequest(typed) else {
            return [print(["[\(time)] usage: \(InputTranslator.historyUsage)"])]
        }
        if capabilitiesKnown && history.requestLimit == nil {
            return [print(["[\(time)] this server keeps no history (its CAP LS has no history=N): nothing sent"])]
        }
        guard let target = request.target ?? identity.currentRoom else {
            return [print(["[\(time)] you are in no room: /history NAME [N] shows a private conversation"])]
        }
        return submitCommand(history.pageRequest(target: target, limit: request.limit), time: time, typed: typed)
    }

    /// What `ClientHistory` makes of a reply: time-stamped lines to show; its requests are queued.
    mutating func historyReplied(_ reply: Reply, to command: SentCommand, automatic: Bool,
                                 newlyJoined: Bool = false, time: String) -> [String] {
        let (lines, requests) = history.replied(reply, to: command, automatic: automatic, newlyJoined: newlyJoined)
        for request in requests { pacer.enqueue(request, automatic: true) }
        return lines.map { Sanitizer.forTerminal("[\(time)] \($0)") }
    }

    /// The room an `OK JOIN` names.
    static func joinedRoom(_ reply: Reply) -> String? {
        guard case .ok("JOIN", let details) = reply else { return nil }
        return ServerLine.words(details).first
    }
}
