// IdleScenario: opens N connections at a bounded rate, lets each finish its
// TLS handshake and registration (the greeting; no room is joined, so N
// clients do not cost N² join announcements), holds them all
// idle for a while, and reports the server's resident memory before and after
// (with --server-pid): KiB per idle connection, and both sides' CPU over the
// run (LoadAccount). It sends nothing else and does
// not start or stop the server.
import ArgumentParser
import ChatNet

struct IdleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle", abstract: "Open and hold N idle connections; the server's RSS per connection.")

    @OptionGroup var target: TargetOptions
    @Option(help: "Connections to open and hold.") var connections = 1_000
    @Option(help: "Seconds to hold them (idle) before reading the server's memory.") var hold = 5.0

    func validate() throws {
        guard connections >= 1, connections <= 19_000 else { throw ValidationError("--connections must be 1...19000") }
        guard hold >= 0, hold <= 600 else { throw ValidationError("--hold must be 0...600 seconds") }
    }

    func run() throws {
        var resolved = try target.target()
        resolved.joinsRoom = false
        let loop = try EventLoop()
        let pool = ClientPool(loop: loop, target: resolved)
        let before = resolved.server?.residentKiB()
        var account = LoadAccount(server: resolved.server)
        account.begin()
        let started = MonotonicClock.now()
        try pool.connectAll(connections, deadline: .seconds(Int64(60 + connections / max(1, target.connectRate) * 2)),
                            progress: Progress())
        let connectSeconds = Double(MonotonicClock.now() - started) / 1e9
        _ = try loop.run(for: .milliseconds(Int64(hold * 1000))) { pool.readyCount < connections }
        let after = resolved.server?.residentKiB()
        account.finish()
        let held = pool.readyCount
        var report = Report()
        report.add("scenario", "idle")
        report.add("dialect", resolved.dialect.rawValue)
        report.add("transport", resolved.tlsContext == nil ? "plain" : "tls")
        report.add("negotiated", pool.negotiated)
        report.add("connections", connections)
        report.add("connections_held", held)
        report.add("connect_seconds", connectSeconds)
        report.add("server_rss_kib_before", before.map { .int($0) } ?? .missing)
        report.add("server_rss_kib_after", after.map { .int($0) } ?? .missing)
        var perConnection: Double?
        if let before, let after, held > 0 { perConnection = Double(after - before) / Double(held) }
        report.add("rss_kib_per_connection", perConnection)
        account.add(to: &report)  // connecting and holding: memory, not load, is this scenario's figure
        report.add("verified", .bool(held == connections))
        pool.closeAll()
        report.print(asJSON: target.json)
        if held != connections { throw ExitCode(1) }
    }
}
