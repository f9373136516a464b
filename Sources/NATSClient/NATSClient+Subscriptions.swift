// NATSClient+Subscriptions: SUB (optionally in a queue group) and UNSUB (now,
// or after a number of messages), delivery of MSG/HMSG to the subscription's
// handler, and the renewal of every live subscription on a new connection
// (with the remaining automatic-unsubscribe count). A message for an unknown
// sid (already unsubscribed) is dropped. The handler runs on the loop thread
// and may publish, subscribe or unsubscribe.

extension NATSClient {
    /// Subscribes to `subject` (wildcards allowed), in queue group `queue` if given.
    @discardableResult
    public func subscribe(_ subject: String, queue: String? = nil,
                          handler: @escaping (NATSMessage) -> Void) throws(NATSError) -> NATSSubscription {
        guard state != .closed else { throw .closed }
        try NATSCommandEncoder.validate(subject: subject, wildcards: true)
        if let queue { try NATSCommandEncoder.validate(queue: queue) }
        guard subscriptions.count < options.maximumSubscriptions else {
            throw .tooManySubscriptions(limit: options.maximumSubscriptions)
        }
        let subscription = NATSSubscription(sid: nextSid, subject: subject, queue: queue, handler: handler)
        nextSid += 1
        subscriptions[subscription.sid] = subscription
        sendCommand(NATSCommandEncoder.subscribe(subject: subject, queue: queue, sid: subscription.sid))
        return subscription
    }

    /// Ends `subscription` now, or (with `maximum`) once it has received that many messages in total.
    public func unsubscribe(_ subscription: NATSSubscription, after maximum: Int? = nil) {
        guard subscription.isActive, subscriptions[subscription.sid] === subscription else { return }
        if let maximum, maximum > subscription.deliveredCount {
            subscription.maximumMessages = maximum
            sendCommand(NATSCommandEncoder.unsubscribe(sid: subscription.sid, after: maximum))
            return
        }
        subscription.isActive = false
        subscriptions[subscription.sid] = nil
        sendCommand(NATSCommandEncoder.unsubscribe(sid: subscription.sid, after: nil))
    }

    func deliver(_ message: NATSMessage) {
        guard let subscription = subscriptions[message.sid], subscription.isActive else { return }
        subscription.deliveredCount += 1
        if let limit = subscription.maximumMessages, subscription.deliveredCount >= limit {
            subscription.isActive = false
            subscriptions[subscription.sid] = nil  // the server has dropped it too
        }
        subscription.handler(message)
    }

    /// Sends SUB (and UNSUB with the remaining count) for every live subscription.
    func renewSubscriptions() {
        guard let connection else { return }
        for subscription in subscriptions.values.sorted(by: { $0.sid < $1.sid }) {
            connection.write(NATSCommandEncoder.subscribe(subject: subscription.subject, queue: subscription.queue,
                                                          sid: subscription.sid))
            if let remaining = subscription.remaining {
                connection.write(NATSCommandEncoder.unsubscribe(sid: subscription.sid, after: remaining))
            }
        }
    }
}
