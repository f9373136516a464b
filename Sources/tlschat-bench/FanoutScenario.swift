// FanoutScenario: N clients in one room, K of them sending, either as fast as
// a window of in-flight messages allows (--window) or at a fixed total rate
// (--rate). A message is in flight until every other client has received it.
// After a warm-up, one measurement window counts deliveries, records each
// delivery's end-to-end latency (HDR histogram, microseconds) and the
// server's CPU time; then sending stops and stragglers are awaited (bounded).
// Every delivery is checked per receiver and sender: nothing lost,
// duplicated or out of order. A message the server refused with
// `ERR RATE_LIMITED` is not lost: it is counted apart, sending stops at the
// first one (the offered load is no longer what the server carries), and the
// run ends with status 3 and the tlschatd flags that lift the limit. Only
// lines without a probe are checked for that reply, so deliveries cost
// nothing more. It does not start or stop the server.
import ArgumentParser
import ChatNet
import Histogram

struct FanoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout", abstract: "N clients in one room; K send; deliveries/s, latency, and loss/order checks.",
        discussion: """
            Exit status: 0 every message reached every other client once and in order; 1 something was lost, \
            duplicated, reordered or disconnected; 3 the server refused messages with ERR RATE_LIMITED (counted \
            as rate_limited, not as lost; sending stops at the first). tlschatd limits each client to a burst \
            of 40 commands, then 20 per second: start it with --command-burst and --commands-per-second above \
            the load to benchmark it.
            """)

    @OptionGroup var target: TargetOptions
    @Option(help: "Clients in the room (senders included).") var clients = 100
    @Option(help: "How many of them send.") var senders = 10
    @Option(help: "In-flight messages per sender (as fast as the server allows). Default 16 unless --rate.") var window: Int?
    @Option(help: "Messages per second offered by all senders together, instead of --window.") var rate: Int?
    @Option(help: "Seconds measured.") var duration = 10.0
    @Option(help: "Seconds of load before measuring.") var warmup = 2.0
    @Option(help: "Bytes per message text (at least the marker, about 30).") var payload = 64
    @Option(help: "Seconds to wait for the last deliveries after sending stops.") var drain = 10.0

    func validate() throws {
        guard clients >= 2, clients <= 18_000 else { throw ValidationError("--clients must be 2...18000") }
        guard senders >= 1, senders <= clients else { throw ValidationError("--senders must be 1...--clients") }
        guard window == nil || rate == nil else { throw ValidationError("give --window or --rate, not both") }
        guard (window ?? 1) >= 1, (rate ?? 1) >= 1 else { throw ValidationError("--window and --rate must be positive") }
        guard duration > 0, duration <= 600, warmup >= 0, warmup <= 60, drain >= 0, drain <= 60 else {
            throw ValidationError("--duration 0...600, --warmup and --drain 0...60 seconds")
        }
        guard payload <= 4_000 else { throw ValidationError("--payload at most 4000 bytes") }
    }

    static let rateLimitedStatus: Int32 = 3

    func run() throws {
        let loop = try EventLoop()
        let run = FanoutRun(loop: loop, target: try target.target(), options: self)
        let report = try run.execute()
        report.print(asJSON: target.json)
        if run.rateLimited > 0 {
            FileHandleOutput.diagnostic("""
                the server refused \(run.rateLimited) message(s) with ERR RATE_LIMITED: its per-client command rate \
                limit, not message loss (sending stopped at the first refusal, so no figure above is a measurement). \
                tlschatd's default is a burst of 40 commands per client, then 20 per second; to benchmark it, start it \
                with limits above the load, e.g. tlschatd --command-burst 100000 --commands-per-second 100000 \
                (CAP LS shows a server's rate)
                """)
            throw ExitCode(Self.rateLimitedStatus)
        }
        if !run.verified { throw ExitCode(1) }
    }
}

final class FanoutRun {
    private let loop: EventLoop
    private let target: BenchTarget
    private let options: FanoutCommand
    // Copied out of `options`: an ArgumentParser property costs a generic metadata lookup per read.
    private let clientCount: Int, senderCount: Int, window: Int, payload: Int
    private let offeredRate: Int?
    private let pool: ClientPool
    private let progress: Progress
    /// Per sender, per sequence: receivers still to get it.
    private var remaining: [[Int32]]
    private var inFlight: [Int]
    /// Per receiver and sender (receiver * senders + sender): the next sequence expected.
    private var expected: [Int]
    /// Sequences skipped over by a receiver (filled only when something arrives early):
    /// if one shows up later it was reordered, anything else behind `expected` is a duplicate.
    private var skipped: [Int: Set<Int>] = [:]
    private var outstanding = 0
    private var sending = false
    private var measuring = false
    private var histogram = Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
    private var measuredDeliveries = 0
    private var measuredMessages = 0
    private var duplicated = 0, reordered = 0, echoes = 0, unknown = 0
    /// Messages the server refused with `ERR RATE_LIMITED` (never delivered to anyone).
    private(set) var rateLimited = 0
    private(set) var verified = false

    init(loop: EventLoop, target: BenchTarget, options: FanoutCommand) {
        self.loop = loop
        self.target = target
        self.options = options
        clientCount = options.clients
        senderCount = options.senders
        window = options.window ?? 16
        payload = options.payload
        offeredRate = options.rate
        pool = ClientPool(loop: loop, target: target)
        progress = Progress()
        remaining = Array(repeating: [], count: senderCount)
        inFlight = Array(repeating: 0, count: senderCount)
        expected = Array(repeating: 0, count: senderCount * clientCount)
    }

    func execute() throws -> Report {
        try pool.connectAll(clientCount, deadline: .seconds(120), progress: progress)
        pool.onLine = { [unowned self] client, line, receivedAt in received(line, by: client.index, at: receivedAt) }
        let started = MonotonicClock.now()
        sending = true
        var ticker: LoopTimer?
        if let rate = offeredRate {
            // Evenly spaced: message k is due at k / rate seconds, from sender k mod senders
            // (all senders due at once would offer bursts, not a rate).
            var sent = 0
            ticker = loop.scheduleRepeating(every: .milliseconds(1)) { [unowned self] in
                guard sending else { return }
                let due = Int(Double(MonotonicClock.now() - started) / 1e9 * Double(rate))
                let last = min(due, sent + 1_000)  // bounded per tick if the loop fell behind
                while sent < last {
                    send(from: sent % senderCount)
                    sent += 1
                }
            }
        } else {
            for sender in 0..<senderCount {
                for _ in 0..<window { send(from: sender) }
            }
        }
        let cpu = try measureWindow()
        sending = false
        ticker?.cancel()
        _ = try loop.run(for: .milliseconds(Int64(options.drain * 1000))) { outstanding == 0 || pool.readyCount < clientCount }
        let report = makeReport(cpu: cpu)
        pool.closeAll()
        return report
    }

    /// Warm-up, then the measured window; returns (server CPU seconds, wall seconds).
    private func measureWindow() throws -> (server: Double?, wall: Double) {
        _ = try loop.run(for: .milliseconds(Int64(options.warmup * 1000))) { pool.readyCount < clientCount || rateLimited > 0 }
        let cpuBefore = target.server?.cpuSeconds()
        let begin = MonotonicClock.now()
        measuring = true
        let end = begin + UInt64(options.duration * 1e9)
        _ = try loop.run(for: .milliseconds(Int64(options.duration * 1000))) {
            progress.tick("fanout: \(measuredDeliveries) deliveries, \(outstanding) outstanding, p99 \(histogram.valueAtPercentile(99)) us")
            return pool.readyCount < clientCount || MonotonicClock.now() >= end || rateLimited > 0
        }
        measuring = false
        let wall = Double(MonotonicClock.now() - begin) / 1e9
        let cpuAfter = target.server?.cpuSeconds()
        if let cpuBefore, let cpuAfter { return (cpuAfter - cpuBefore, wall) }
        return (nil, wall)
    }

    private func send(from sender: Int) {
        let sequence = remaining[sender].count
        remaining[sender].append(Int32(clientCount - 1))
        outstanding += clientCount - 1
        inFlight[sender] += 1
        if measuring { measuredMessages += 1 }
        let text = Probe(sender: sender, sequence: sequence, sentAt: MonotonicClock.now()).text(size: payload)
        pool.clients[sender].send(target.dialect.message(text, room: target.room))
    }

    private func received(_ line: UnsafeRawBufferPointer, by receiver: Int, at now: UInt64) {
        guard let probe = Probe.find(in: line) else {
            if target.dialect.isRateLimitedReply(line) { refusedForRate(sender: receiver) }
            return
        }
        let sender = probe.sender, sequence = probe.sequence
        guard sender >= 0, sequence >= 0, sender < senderCount, sequence < remaining[sender].count else { unknown += 1; return }
        guard sender != receiver else { echoes += 1; return }  // a server that echoes to the sender
        let slot = receiver * senderCount + sender
        let next = expected[slot]
        if sequence < next {
            guard skipped[slot]?.remove(sequence) != nil else { duplicated += 1; return }
            reordered += 1  // late, but delivered: counted below like any delivery
        } else {
            if sequence > next { skipped[slot, default: []].formUnion(next..<sequence) }
            expected[slot] = sequence + 1
        }
        remaining[sender][sequence] -= 1
        outstanding -= 1
        if measuring {
            measuredDeliveries += 1
            _ = histogram.record(now > probe.sentAt ? (now - probe.sentAt) / 1_000 : 0)
        }
        if remaining[sender][sequence] == 0 {
            inFlight[sender] -= 1
            if sending && offeredRate == nil { send(from: sender) }
        }
    }

    /// One of `sender`'s messages was refused, so nobody will receive it: it is no longer
    /// outstanding, and no figure from here on would measure the offered load.
    private func refusedForRate(sender: Int) {
        guard sender < senderCount else { return }  // only senders send messages
        rateLimited += 1
        outstanding -= clientCount - 1
        inFlight[sender] -= 1
        sending = false
    }

    private func makeReport(cpu: (server: Double?, wall: Double)) -> Report {
        let undelivered = remaining.reduce(0) { $0 + $1.reduce(0) { $0 + Int(max($1, 0)) } }
        let lost = undelivered - rateLimited * (clientCount - 1)  // a refused message was delivered to nobody
        verified = lost == 0 && duplicated == 0 && reordered == 0 && pool.closedAfterReady == 0 && rateLimited == 0
        var report = Report()
        report.add("scenario", "fanout")
        report.add("dialect", target.dialect.rawValue)
        report.add("transport", target.tlsContext == nil ? "plain" : "tls")
        report.add("negotiated", pool.negotiated)
        report.add("clients", clientCount)
        report.add("senders", senderCount)
        report.add("mode", offeredRate.map { "rate \($0) msg/s" } ?? "window \(window)")
        report.add("payload_bytes", payload)
        report.add("seconds", cpu.wall)
        report.add("messages", measuredMessages)
        report.add("messages_total", remaining.reduce(0) { $0 + $1.count })  // warm-up and drain included
        report.add("deliveries", measuredDeliveries)
        report.add("deliveries_per_second", Double(measuredDeliveries) / cpu.wall)
        if let rate = offeredRate { report.add("offered_deliveries_per_second", Double(rate * (clientCount - 1))) }
        report.add("server_cpu_seconds", cpu.server)
        report.add("deliveries_per_server_cpu_second", cpu.server.flatMap { $0 > 0 ? Double(measuredDeliveries) / $0 : nil })
        var latency = Report()
        for (name, percentile) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p999", 99.9)] {
            latency.add(name, Int(histogram.valueAtPercentile(percentile)))
        }
        latency.add("max", Int(histogram.max))
        report.add("latency_us", .nested(latency))
        report.add("lost", lost)
        report.add("rate_limited", rateLimited)
        report.add("duplicated", duplicated)
        report.add("reordered", reordered)
        report.add("disconnected", pool.closedAfterReady)
        report.add("echoed_to_sender", echoes)
        report.add("verified", .bool(verified))
        return report
    }
}
