// StatePublisher: sends a node's state parts (StateChunks) a little at a
// time, so a large state never fills the NATS connection's outgoing buffer
// in one loop iteration (publishes beyond it fail, and history publishes of
// the same iteration would fail with them). Each round sends at most
// `bytesPerRound` and the next round runs on a later iteration; a publish
// refused for a full buffer waits for the client's `.writable` (`resume()`)
// or a short timer, whichever comes first. One state per subject is queued:
// a newer one for the same subject replaces what is left of the older (its
// receivers drop a half-received state for a newer serial). Other publish
// errors drop that part with a log line (the receiver asks again when its
// assembly goes stale). It knows nothing of users or of NATS beyond the
// publish closure it is given.
import ChatNet
import NATSClient

final class StatePublisher {
    static let bytesPerRound = 512 * 1024
    private let loop: EventLoop
    private let publish: (_ subject: String, _ payload: [UInt8]) throws(NATSError) -> Void
    private var queue: [(subject: String, payload: [UInt8])] = []
    private var head = 0
    private var timer: LoopTimer?
    var log: ((String) -> Void)?

    init(loop: EventLoop, publish: @escaping (_ subject: String, _ payload: [UInt8]) throws(NATSError) -> Void) {
        self.loop = loop
        self.publish = publish
    }

    deinit { timer?.cancel() }

    /// Queues `events` for `subject` (replacing what is left of an older state for it) and sends.
    func send(_ events: [PresenceEvent], to subject: String) {
        queue = Array(queue[head...]).filter { $0.subject != subject }
        head = 0
        queue += events.map { (subject, $0.encoded()) }
        resume()
    }

    var isIdle: Bool { head == queue.count }

    /// Sends the next round (also when the client reports `.writable`).
    func resume() {
        timer?.cancel()
        timer = nil
        var sent = 0
        while head < queue.count, sent < Self.bytesPerRound {
            let next = queue[head]
            do {
                try publish(next.subject, next.payload)
                sent += next.payload.count
            } catch {
                switch error {
                case .wouldBlock, .reconnectBufferFull:
                    return retry(after: .milliseconds(50))
                default:
                    log?("could not publish a state part on \(next.subject): \(error)")
                }
            }
            head += 1
        }
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else {
            retry(after: .milliseconds(1))
        }
    }

    /// Forgets everything queued (the node stops).
    func stop() {
        timer?.cancel()
        timer = nil
        queue = []
        head = 0
    }

    private func retry(after delay: Duration) {
        guard timer == nil else { return }
        timer = loop.schedule(after: delay) { [weak self] in
            self?.timer = nil
            self?.resume()
        }
    }
}
