// PendingCall: one asynchronous call of a networked store, holding the
// caller's completion until it is called exactly once: with the result, with
// a timeout failure when its deadline passes first (a loop timer), or with
// the error given to `fail` (e.g. the NATS connection went away). A call that
// must ride out a reconnect may move its deadline (`restartDeadline`). Results that
// arrive while the call is still being started (a request that failed before
// it was sent) are delivered after the current loop iteration, so a
// completion never runs inside the call that started it. Later results are
// ignored. It does no I/O of its own.
import ChatCore
import ChatNet

final class PendingCall<Value> {
    private let loop: EventLoop
    private var completion: ((Result<Value, HistoryError>) -> Void)?
    private var timer: LoopTimer?
    private let what: String
    /// True until `started()`: results are deferred to the end of the loop iteration meanwhile.
    private var starting = true
    /// Called once when the call ends, however it ends (the store forgets it).
    var onEnd: (() -> Void)?
    /// Adds to a failure what the call knows (e.g. the part of a batch stored), however it fails.
    var amendFailure: ((HistoryError) -> HistoryError)?

    init(loop: EventLoop, deadline: Duration, doing what: String,
         completion: @escaping (Result<Value, HistoryError>) -> Void) {
        self.loop = loop
        self.completion = completion
        self.what = what
        restartDeadline(deadline)
    }

    /// Replaces the deadline with one `deadline` from now (no effect once finished).
    func restartDeadline(_ deadline: Duration) {
        guard completion != nil else { return }
        timer?.cancel()
        timer = loop.schedule(after: deadline) { [weak self, what] in
            self?.finish(.failure(HistoryError(.failed, "\(what): no answer from JetStream within \(deadline)")))
        }
    }

    var isFinished: Bool { completion == nil }

    /// The starting call has returned: results may be delivered at once from now on.
    func started() { starting = false }

    func finish(_ result: Result<Value, HistoryError>) {
        guard let completion else { return }
        let result = result.mapError { amendFailure?($0) ?? $0 }
        amendFailure = nil
        self.completion = nil
        timer?.cancel()
        timer = nil
        onEnd?()
        onEnd = nil
        if starting {
            loop.executeAfterIteration { completion(result) }
        } else {
            completion(result)
        }
    }

    func fail(_ error: HistoryError) { finish(.failure(error)) }
}

extension HistoryError {
    /// A JetStream failure while doing `what`, as one line.
    static func jetStream(_ error: some CustomStringConvertible, doing what: String) -> HistoryError {
        HistoryError(.failed, "\(what): \(error)")
    }
}
