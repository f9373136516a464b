// NATSClient+Requests: request/reply over one wildcard inbox subscription
// ("_INBOX.<random>.*", made on the first request). Each request gets its own
// reply subject under it, a deadline (a loop timer) and a slot among at most
// `maximumOutstandingRequests`. The first reply completes it; a 503 status
// (no responders) fails it at once; late replies are dropped. The inbox
// subscription is renewed after a reconnect like any other; requests keep
// their deadlines across it.
import ChatNet

struct PendingRequest {
    let subject: String
    let timer: LoopTimer
    let completion: (Result<NATSMessage, NATSError>) -> Void
}

extension NATSClient {
    /// Publishes a request on `subject` and calls `completion` once: with the first reply, or
    /// with `.noResponders`, `.timedOut` (after `timeout`, default `options.requestTimeout`) or
    /// `.closed`. Throws at once when the request cannot be sent.
    public func request(_ subject: String, payload: [UInt8], headers: NATSHeaders? = nil, timeout: Duration? = nil,
                        completion: @escaping (Result<NATSMessage, NATSError>) -> Void) throws(NATSError) {
        guard state != .closed else { throw .closed }
        guard pendingRequests.count < options.maximumOutstandingRequests else {
            throw .tooManyOutstandingRequests(limit: options.maximumOutstandingRequests)
        }
        if inboxSubscription == nil {
            inboxSubscription = try subscribe(inboxPrefix + ".*") { [weak self] reply in self?.receivedReply(reply) }
        }
        let token = String(nextRequestToken, radix: 36)
        nextRequestToken += 1
        let replySubject = inboxPrefix + "." + token
        try publish(subject, payload: payload, headers: headers, replyTo: replySubject)
        let timer = loop.schedule(after: timeout ?? options.requestTimeout) { [weak self] in
            guard let self, let pending = self.pendingRequests.removeValue(forKey: token) else { return }
            pending.completion(.failure(.timedOut(subject: pending.subject)))
        }
        pendingRequests[token] = PendingRequest(subject: subject, timer: timer, completion: completion)
    }

    /// Requests waiting for a reply.
    public var outstandingRequestCount: Int { pendingRequests.count }

    private func receivedReply(_ reply: NATSMessage) {
        let token = String(reply.subject.dropFirst(inboxPrefix.count + 1))
        guard let pending = pendingRequests.removeValue(forKey: token) else { return }  // late or unknown
        pending.timer.cancel()
        if let headers = reply.headers, headers.isNoResponders, reply.payload.isEmpty {
            pending.completion(.failure(.noResponders(subject: pending.subject)))
        } else {
            pending.completion(.success(reply))
        }
    }

    func failAllRequests(with error: NATSError) {
        let all = pendingRequests
        pendingRequests.removeAll()
        inboxSubscription = nil
        for (_, pending) in all.sorted(by: { $0.key < $1.key }) {
            pending.timer.cancel()
            pending.completion(.failure(error))
        }
    }
}
