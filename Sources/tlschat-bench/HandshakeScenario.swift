// HandshakeScenario: full TLS handshakes per second at concurrency C, with or
// without a client certificate: each of C slots connects, completes a fresh
// handshake (never resumed: every connection gets a new session and none is
// reused), closes, and starts over, for a fixed time. With --server-pid it
// also reports handshakes per server CPU-second; the generator's own CPU is
// reported beside the server's (LoadAccount, load_bound). It does not register with
// the chat service or exchange messages.
import ArgumentParser
import ChatNet

struct HandshakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handshake", abstract: "Full TLS handshakes per second (and per server CPU-second) at concurrency C.")

    @OptionGroup var target: TargetOptions
    @Option(help: "Handshakes in progress at once.") var concurrency = 8
    @Option(help: "Seconds measured.") var duration = 10.0

    func validate() throws {
        guard !target.plain else { throw ValidationError("the handshake scenario needs TLS") }
        guard concurrency >= 1, concurrency <= 1_000 else { throw ValidationError("--concurrency must be 1...1000") }
        guard duration > 0, duration <= 600 else { throw ValidationError("--duration must be 0...600 seconds") }
    }

    func run() throws {
        let resolved = try target.target()
        let loop = try EventLoop()
        let runner = HandshakeRunner(loop: loop, target: resolved)
        var account = LoadAccount(server: resolved.server)
        account.begin()
        let end = MonotonicClock.now() + UInt64(duration * 1e9)
        for _ in 0..<concurrency { runner.startOne() }
        let progress = Progress()
        _ = try loop.run(for: .milliseconds(Int64(duration * 1000))) {
            progress.tick("handshake: \(runner.completed) done, \(runner.failed) failed")
            return MonotonicClock.now() >= end
        }
        runner.stopping = true
        account.finish()
        let wall = account.wallSeconds
        let completed = runner.completed
        _ = try loop.run(for: .seconds(5)) { runner.active == 0 }
        var report = Report()
        report.add("scenario", "handshake")
        report.add("dialect", resolved.dialect.rawValue)
        report.add("client_certificate", .bool(target.cert != nil))
        report.add("negotiated", runner.negotiated ?? "none")
        report.add("concurrency", concurrency)
        report.add("seconds", wall)
        report.add("handshakes", completed)
        report.add("failed", runner.failed)
        if let sample = runner.firstFailure { report.add("first_failure", sample) }
        report.add("handshakes_per_second", Double(completed) / wall)
        account.add(to: &report)
        report.add("handshakes_per_server_cpu_second",
                   account.serverCPUSeconds.flatMap { $0 > 0 ? Double(completed) / $0 : nil })
        report.add("verified", .bool(runner.failed == 0 && completed > 0))
        report.print(asJSON: target.json)
        if runner.failed > 0 || completed == 0 { throw ExitCode(1) }
    }
}

/// Keeps `concurrency` handshakes going: each slot reconnects as soon as its handshake is done.
final class HandshakeRunner: ConnectionDelegate {
    private let loop: EventLoop
    private let target: BenchTarget
    private(set) var completed = 0
    private(set) var failed = 0
    private(set) var firstFailure: String?
    private(set) var active = 0
    private(set) var negotiated: String?
    var stopping = false

    init(loop: EventLoop, target: BenchTarget) {
        self.loop = loop
        self.target = target
    }

    func startOne() {
        guard !stopping, let context = target.tlsContext else { return }
        let connection: TLSConnection
        do {
            connection = try TLSConnection.connect(to: target.address, serverName: target.serverName, loop: loop, context: context)
        } catch {
            fail("\(error)")
            _ = loop.schedule(after: .milliseconds(1)) { [unowned self] in startOne() }  // retry later, never in a tight loop
            return
        }
        connection.delegate = self
        active += 1
        // A failing start() finishes the connection: didCloseWith counts it and starts the next.
        try? connection.start()
    }

    func connectionDidOpen(_ connection: any Connection) {
        if !stopping { completed += 1 }
        if negotiated == nil { negotiated = connection.securityDescription }
        connection.close(.graceful)  // close_notify, FIN, then wait for the server's EOF (ncat dies on resets)
    }

    func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer) {}

    func connection(_ connection: any Connection, didCloseWith reason: CloseReason) {
        active -= 1
        switch reason {
        case .localClose: break
        default: fail("\(reason)")
        }
        startOne()
    }

    private func fail(_ reason: String) {
        guard !stopping else { return }
        failed += 1
        if firstFailure == nil { firstFailure = reason }
    }
}
