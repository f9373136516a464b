// SubjectFeed+Consumer: the life of one consumer of a SubjectFeed: subscribe
// a fresh deliver subject, create the consumer from the last delivered
// sequence + 1 (or "new only" for a feed that has delivered nothing yet and
// asked for that), check every delivery against the expected consumer
// sequence, answer flow control and stalled heartbeats, notice silence, and
// replace the consumer (deleting the old one, best effort; the server's
// inactivity threshold removes it otherwise). Retries of a failed creation
// wait a growing, bounded delay.
import ChatNet
import Foundation
import NATSClient

extension SubjectFeed {
    func createConsumer() {
        guard !isStopped else { return }
        generation += 1
        let current = generation
        expectedConsumerSequence = 1
        consumerName = nil
        lastActivity = MonotonicClock.now()
        let deliverSubject = "_INBOX.feed." + Self.randomToken()
        do {
            subscription = try client.subscribe(deliverSubject) { [weak self] message in
                guard let self, self.generation == current, !self.isStopped else { return }
                self.receive(message)
            }
        } catch {
            return creationFailed("subscribing \(deliverSubject): \(error)", generation: current)
        }
        let from = lastDelivered + 1
        let configuration = PushConsumerConfiguration(
            deliverSubject: deliverSubject, filterSubject: subject,
            start: startsWithNewOnly ? .new : .sequence(from), idleHeartbeat: options.idleHeartbeat, flowControl: true,
            inactiveThreshold: options.inactiveThreshold)
        jetStream.createConsumer(stream: stream, configuration) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let info) where self.generation == current && !self.isStopped:
                self.consumerName = info.name
                self.failedCreations = 0
                if self.startsWithNewOnly {
                    self.startsWithNewOnly = false
                    if self.expectedConsumerSequence == 1 { self.lastDelivered = max(self.lastDelivered, info.delivered.streamSequence) }
                }
                self.onEvent?(.consuming(consumer: info.name, from: self.lastDelivered + 1))
            case .success(let info):  // made for a consumer we gave up meanwhile
                self.jetStream.deleteConsumer(stream: self.stream, consumer: info.name) { _ in }
            case .failure(let error):
                self.creationFailed("creating a consumer of \(self.subject) on \(self.stream): \(error)", generation: current)
            }
        }
    }

    private func creationFailed(_ reason: String, generation failed: Int) {
        guard generation == failed, !isStopped else { return }
        onEvent?(.creationFailed(reason))
        failedCreations += 1
        let exponent = min(failedCreations - 1, 16)
        let delay = min(options.retryDelay * (1 << exponent), options.maximumRetryDelay)
        retryTimer?.cancel()
        retryTimer = loop.schedule(after: delay) { [weak self] in
            guard let self, self.generation == failed else { return }
            self.replace(because: nil)
        }
    }

    /// Drops the current consumer and makes a new one from the last delivered sequence + 1.
    func replace(because reason: String?) {
        guard !isStopped else { return }
        if let reason {
            replacements += 1
            onEvent?(.replacing(reason: reason))
        }
        retryTimer?.cancel()
        dropConsumer(completion: nil)
        createConsumer()
    }

    /// Unsubscribes the deliver subject and deletes the consumer (if the server named it yet).
    func dropConsumer(completion: ((Result<Void, JetStreamError>) -> Void)?) {
        if let subscription { client.unsubscribe(subscription) }
        subscription = nil
        guard let name = consumerName else {
            completion?(.success(()))
            return
        }
        consumerName = nil
        jetStream.deleteConsumer(stream: stream, consumer: name) { completion?($0) }
    }

    private func receive(_ message: NATSMessage) {
        lastActivity = MonotonicClock.now()
        switch PushDelivery.classify(message) {
        case .message(let metadata, let message):
            if testDropsNextMessages > 0 {
                testDropsNextMessages -= 1
                return
            }
            guard metadata.consumerSequence == expectedConsumerSequence else {
                return replace(because: "gap: consumer sequence \(metadata.consumerSequence), expected \(expectedConsumerSequence)")
            }
            expectedConsumerSequence += 1
            guard metadata.streamSequence > lastDelivered else { return }  // already handed out
            lastDelivered = metadata.streamSequence
            handler(metadata.streamSequence, message)
        case .heartbeat(let lastConsumer, _, let stalledReply):
            if let stalledReply { try? client.publish(stalledReply, payload: []) }
            if let lastConsumer, lastConsumer >= expectedConsumerSequence {
                replace(because: "gap: the server delivered up to consumer sequence \(lastConsumer), we saw \(expectedConsumerSequence - 1)")
            }
        case .flowControl(let reply):
            try? client.publish(reply, payload: [])
        case .unexpected:
            break
        }
    }

    /// The watchdog: silence for `missedHeartbeats` intervals means the consumer is gone or stuck.
    func checkActivity() {
        guard !isStopped, client.state == .connected else { return }
        let silence = MonotonicClock.now() - lastActivity
        let allowed = options.idleHeartbeat.nanoseconds * UInt64(max(1, options.missedHeartbeats))
        if silence > allowed {
            replace(because: "stalled: no message or heartbeat for \(Duration.nanoseconds(Int64(clamping: silence)))")
        }
    }

    static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<22).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
