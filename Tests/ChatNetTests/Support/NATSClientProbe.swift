// NATSClientProbe: a NATSClient on its own EventLoop for the NATS tests, with
// every event it reports recorded, and helpers that run the loop until a
// condition holds or a deadline passes (never a fixed sleep).
import ChatNet
import Foundation
@testable import NATSClient

final class NATSClientProbe {
    let loop: EventLoop
    let client: NATSClient
    private(set) var events: [NATSClientEvent] = []

    init(urls: [String], loop: EventLoop? = nil, configure: (inout NATSClientOptions) -> Void = { _ in }) throws {
        self.loop = try loop ?? EventLoop()
        var options = try NATSClientOptions(urls: urls, name: "nats-test")
        options.reconnectBaseDelay = .milliseconds(50)
        options.reconnectMaximumDelay = .milliseconds(500)
        options.reconnectJitter = .milliseconds(20)
        options.connectTimeout = .seconds(5)
        configure(&options)
        client = NATSClient(loop: self.loop, options: options)
        client.onEvent = { [unowned self] event in events.append(event) }
    }

    /// Runs the loop until `condition` holds; false after `timeout`.
    @discardableResult
    func run(for timeout: Duration = .seconds(15), until condition: () -> Bool) -> Bool {
        (try? loop.run(for: timeout, until: condition)) ?? false
    }

    /// Starts the client and waits for its first connection.
    func connect(timeout: Duration = .seconds(15)) -> Bool {
        client.start()
        return run(for: timeout) { client.state == .connected }
    }

    func count(_ match: (NATSClientEvent) -> Bool) -> Int { events.filter(match).count }

    var disconnectReasons: [String] {
        events.compactMap { if case .disconnected(let reason) = $0 { return reason } else { return nil } }
    }
    var attemptFailures: [String] {
        events.compactMap { if case .connectAttemptFailed(_, let reason) = $0 { return reason } else { return nil } }
    }
    var serverErrors: [String] {
        events.compactMap { if case .serverError(let text) = $0 { return text } else { return nil } }
    }
    var closedReason: String? {
        events.lazy.compactMap { if case .closed(let reason) = $0 { return reason } else { return nil } }.first
    }
    var reconnectCount: Int { count { if case .reconnected = $0 { return true } else { return false } } }

    /// Sends a request and runs the loop until it completes.
    func request(_ subject: String, _ text: String, timeout: Duration? = nil) throws -> Result<NATSMessage, NATSError>? {
        var outcome: Result<NATSMessage, NATSError>?
        try client.request(subject, payload: Array(text.utf8), timeout: timeout) { outcome = $0 }
        run { outcome != nil }
        return outcome
    }

    /// Closes the client (and `also`, e.g. a fake server) and runs the loop until every
    /// socket of this loop is released (a socket left open would trip its leak check).
    func finish(also: () -> Void = {}) {
        client.close()
        also()
        run(for: .seconds(10)) { loop.registrationCount == 0 }
        try? loop.runOnce(maximumWait: 0)  // the deferred closes of the last iteration
    }
}
