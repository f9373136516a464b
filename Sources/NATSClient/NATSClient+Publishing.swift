// NATSClient+Publishing: PUB/HPUB and the two bounds on outgoing data. On a
// live connection, a publish that would queue more than `outgoingBufferLimit`
// bytes is refused with `.wouldBlock` instead of growing memory (flow
// control); once the queue has drained to half the limit the client reports
// `.writable` (checked after the loop's flush, then every millisecond while
// still full), so the caller knows when to retry. While disconnected, publishes wait in the reconnect buffer up to
// `reconnectBufferLimit` bytes and are sent, in order, right after the
// subscriptions are renewed on the next connection; beyond it `.reconnectBufferFull`.
// Subscription commands are never buffered here: the subscription table is
// replayed instead. Payload size is checked against the server's max_payload.

extension NATSClient {
    /// Publishes `payload` (with `headers`, as HPUB) on `subject`, optionally asking for replies on `replyTo`.
    public func publish(_ subject: String, payload: [UInt8], headers: NATSHeaders? = nil, replyTo: String? = nil) throws(NATSError) {
        guard state != .closed else { throw .closed }
        try NATSCommandEncoder.validate(subject: subject, wildcards: false)
        if let replyTo { try NATSCommandEncoder.validate(subject: replyTo, wildcards: false) }
        if headers != nil, let info = serverInfo, !info.headers { throw .headersNotSupported }
        let headerBlock = try headers.map { (headers) throws(NATSError) in
            try headers.validate()
            return headers.encoded().count
        } ?? 0
        if options.checksMaximumPayload, let limit = serverInfo?.maximumPayload, headerBlock + payload.count > limit {
            throw .payloadTooLarge(size: headerBlock + payload.count, limit: limit)
        }
        try send(NATSCommandEncoder.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload))
    }

    /// Publishes UTF-8 text.
    public func publish(_ subject: String, text: String, headers: NATSHeaders? = nil, replyTo: String? = nil) throws(NATSError) {
        try publish(subject, payload: Array(text.utf8), headers: headers, replyTo: replyTo)
    }

    /// Bytes queued on the live connection (0 when disconnected).
    public var outgoingBufferedBytes: Int { phase == .up ? connection?.bufferedOutputByteCount ?? 0 : 0 }

    /// Bytes of publishes waiting for the next connection.
    public var reconnectBufferedBytes: Int { reconnectBufferBytes }

    /// Sends a publish now, or keeps it for the next connection.
    func send(_ bytes: [UInt8]) throws(NATSError) {
        if phase == .up, let connection {
            let queued = connection.bufferedOutputByteCount
            guard queued + bytes.count <= options.outgoingBufferLimit else {
                watchForDrain()
                throw .wouldBlock(bufferedBytes: queued, limit: options.outgoingBufferLimit)
            }
            connection.write(bytes)
        } else {
            guard reconnectBufferBytes + bytes.count <= options.reconnectBufferLimit else {
                throw .reconnectBufferFull(limit: options.reconnectBufferLimit)
            }
            reconnectBuffer.append(bytes)
            reconnectBufferBytes += bytes.count
        }
    }

    /// Writes a protocol command (SUB, UNSUB) if connected; when not, the subscription
    /// table is replayed on the next connection instead.
    func sendCommand(_ bytes: [UInt8]) {
        guard phase == .up, let connection else { return }
        connection.write(bytes)
    }

    /// After a refusal: report `.writable` once the live connection's queue is down to half
    /// the limit (or the connection is gone: then publishes go to the reconnect buffer).
    private func watchForDrain() {
        guard !awaitingDrain else { return }
        awaitingDrain = true
        loop.executeAfterIteration { [weak self] in self?.checkDrained() }  // after this iteration's flush
    }

    private func checkDrained() {
        guard awaitingDrain, state != .closed else { return }
        let queued = phase == .up ? connection?.bufferedOutputByteCount ?? 0 : 0
        guard queued <= options.outgoingBufferLimit / 2 else {
            loop.schedule(after: .milliseconds(1)) { [weak self] in self?.checkDrained() }
            return
        }
        awaitingDrain = false
        report(.writable)
    }

    func sendReconnectBuffer() {
        guard let connection else { return }
        for bytes in reconnectBuffer { connection.write(bytes) }
        reconnectBuffer.removeAll()
        reconnectBufferBytes = 0
    }
}
