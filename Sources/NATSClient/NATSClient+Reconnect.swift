// NATSClient+Reconnect: what happens between connections, and the keep-alive
// that notices a dead one. A failed attempt or a lost connection schedules the
// next attempt on the next known server after an exponential backoff with
// random jitter (bounded); consecutive authorization failures and, if
// configured, consecutive failed attempts end in `closed` instead of a loop.
// A connection that breaks before `stableConnectionDuration` counts as a
// failed attempt, so a server that accepts and then fails at once (garbage,
// an immediate close) is retried with a growing delay, not in a tight loop.
// While connected we PING every `pingInterval`; `maximumPingsOutstanding`
// unanswered PINGs make the connection stale and it is dropped. Servers
// advertised in INFO join the pool (bounded). Nothing here parses or sends data.
import ChatNet

extension NATSClient {
    func attemptFailed(_ reason: String) {
        connectTimer?.cancel()
        connection = nil
        guard state != .closed, let server = currentServer else { return }
        report(.connectAttemptFailed(server, reason: reason))
        guard state != .closed else { return }
        if lastAttemptWasAuthorizationFailure {
            lastAttemptWasAuthorizationFailure = false
            authorizationFailures += 1
            if authorizationFailures >= options.maximumAuthorizationFailures {
                return shutDown(reason: "authorization failed \(authorizationFailures) times in a row (\(reason))")
            }
        } else {
            authorizationFailures = 0
        }
        failedAttempts += 1
        if let limit = options.maximumReconnectAttempts, failedAttempts >= limit {
            return shutDown(reason: "gave up after \(failedAttempts) failed connection attempts (last: \(reason))")
        }
        scheduleReconnect()
    }

    /// A connection that was up is gone: report it and reconnect; a short-lived one counts as a failure.
    func connectionLost(_ reason: String) {
        report(.disconnected(reason: reason))
        guard state != .closed else { return }  // the owner closed us from its event handler
        state = .reconnecting
        if MonotonicClock.now() - upSince >= options.stableConnectionDuration.nanoseconds {
            failedAttempts = 0
        } else {
            failedAttempts += 1
            if let limit = options.maximumReconnectAttempts, failedAttempts >= limit {
                return shutDown(reason: "gave up after \(failedAttempts) connections that failed at once (last: \(reason))")
            }
        }
        scheduleReconnect()
    }

    /// The delay before attempt number `failures + 1`: base * 2^failures, capped, plus jitter.
    static func backoff(failures: Int, base: Duration, maximum: Duration, jitter: Duration,
                        random: (UInt64) -> UInt64) -> Duration {
        let exponent = min(failures, 30)
        let grown = base.nanoseconds.multipliedReportingOverflow(by: UInt64(1) << UInt64(exponent))
        let capped = grown.overflow ? maximum.nanoseconds : min(grown.partialValue, maximum.nanoseconds)
        let extra = jitter.nanoseconds > 0 ? random(jitter.nanoseconds + 1) : 0
        return .nanoseconds(Int64(clamping: capped + extra))
    }

    func scheduleReconnect() {
        reconnectTimer?.cancel()
        serverIndex += 1  // the next known server; the failed one comes round again
        var generator = SystemRandomNumberGenerator()
        let delay = Self.backoff(failures: max(0, failedAttempts - 1), base: options.reconnectBaseDelay,
                                 maximum: options.reconnectMaximumDelay, jitter: options.reconnectJitter) {
            generator.next(upperBound: $0)
        }
        reconnectTimer = loop.schedule(after: delay) { [weak self] in
            self?.attemptConnection()
        }
    }

    /// Stops for good (by the caller or after giving up).
    func shutDown(reason: String) {
        guard state != .closed else { return }
        state = .closed
        reconnectTimer?.cancel()
        connectTimer?.cancel()
        pingTimer?.cancel()
        if let connection {
            self.connection = nil
            connection.delegate = nil
            connection.close(.graceful)
        }
        reconnectBuffer.removeAll()
        reconnectBufferBytes = 0
        for subscription in subscriptions.values { subscription.isActive = false }
        subscriptions.removeAll()
        failAllRequests(with: .closed)
        report(.closed(reason: reason))
    }

    // MARK: Keep-alive

    func startKeepAlive() {
        pingTimer?.cancel()
        pingsOutstanding = 0
        pingTimer = loop.scheduleRepeating(every: options.pingInterval) { [weak self] in
            self?.sendKeepAlivePing()
        }
    }

    private func sendKeepAlivePing() {
        guard phase == .up, let connection else { return }
        if pingsOutstanding >= options.maximumPingsOutstanding {
            return dropConnection(because: "stale connection: \(pingsOutstanding) PINGs without a PONG")
        }
        pingsOutstanding += 1
        connection.write(NATSCommandEncoder.ping)
    }

    // MARK: Server pool

    /// Adds advertised "host:port" entries not known yet, inheriting TLS and credentials
    /// from the current server, up to `maximumKnownServers`.
    func learnServers(_ advertised: [String]) {
        guard let current = currentServer else { return }
        for text in advertised where servers.count < options.maximumKnownServers {
            guard var url = try? NATSServerURL.parse(text) else { continue }
            guard !servers.contains(where: { $0.host == url.host && $0.port == url.port }) else { continue }
            url.requiresTLS = current.requiresTLS || connection?.security == .tls
            url.user = current.user
            url.password = current.password
            url.token = current.token
            url.isDiscovered = true
            servers.append(url)
        }
    }
}
