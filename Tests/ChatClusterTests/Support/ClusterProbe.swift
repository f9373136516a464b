// ClusterProbe: an EventLoop with one NATSClient and its JetStream for the
// cluster storage tests, plus helpers that run the loop until a call
// completes or a condition holds, with a deadline (never a fixed sleep), and
// `finish()`, which closes the client and lets the loop release its socket.
import ChatNet
import Foundation
@testable import NATSClient

final class ClusterProbe {
    let loop: EventLoop
    let client: NATSClient
    let jetStream: JetStream
    private(set) var events: [NATSClientEvent] = []

    init(urls: [String], loop: EventLoop? = nil, configure: (inout NATSClientOptions) -> Void = { _ in }) throws {
        self.loop = try loop ?? EventLoop()
        var options = try NATSClientOptions(urls: urls, name: "chatcluster-test")
        configure(&options)
        options.reconnectBaseDelay = .milliseconds(50)
        options.reconnectMaximumDelay = .milliseconds(500)
        options.reconnectJitter = .milliseconds(20)
        options.pingInterval = .seconds(1)
        client = NATSClient(loop: self.loop, options: options)
        jetStream = JetStream(client: client, timeout: .seconds(5))
        client.onEvent = { [unowned self] event in events.append(event) }
        client.start()
        guard run(until: { client.state == .connected }) else {
            throw NATSNodeError("no connection to \(urls): \(events)")
        }
    }

    /// Runs the loop until `condition` holds; false after `timeout`.
    @discardableResult
    func run(for timeout: Duration = .seconds(20), until condition: () -> Bool) -> Bool {
        (try? loop.run(for: timeout, until: condition)) ?? false
    }

    /// Starts an asynchronous call and runs the loop until it completes (nil on timeout).
    func complete<T>(for timeout: Duration = .seconds(20), _ start: (@escaping (T) -> Void) -> Void) -> T? {
        var outcome: T?
        start { outcome = $0 }
        run(for: timeout) { outcome != nil }
        return outcome
    }

    /// Until a replicated stream can be made (a fresh cluster drops API requests until its
    /// metadata is current): creates and deletes a probe stream, retrying for up to 20 s.
    func waitForJetStream(replicas: Int) throws {
        let deadline = MonotonicClock.now() + Duration.seconds(20).nanoseconds
        let quick = JetStream(client: client, timeout: .seconds(2))
        var last = "no attempt"
        while MonotonicClock.now() < deadline {
            let made = complete { quick.createOrUpdateStream(StreamConfiguration(name: "READY", subjects: ["ready.>"], replicas: replicas), completion: $0) }
            switch made {
            case .success?:
                _ = complete { quick.deleteStream("READY", completion: $0) }
                return
            case .failure(let error)?: last = "\(error)"
            case nil: last = "no answer"
            }
            run(for: .milliseconds(100)) { false }
        }
        throw NATSNodeError("JetStream not ready for R\(replicas) streams within 20 s: \(last)")
    }

    var reconnects: Int { events.filter { if case .reconnected = $0 { true } else { false } }.count }

    func finish() {
        client.close()
        run(for: .seconds(10)) { loop.registrationCount == 0 }
        try? loop.runOnce(maximumWait: 0)
    }
}
