// FanoutScenario: N clients in one room, K of them sending, either as fast as
// a window of in-flight messages allows (--window) or at a fixed total rate
// (--rate). A message is in flight until every other client has received it.
// After a warm-up, one measurement window counts deliveries, records each
// delivery's end-to-end latency (HDR histogram, microseconds) and the
// server's CPU time; then sending stops and stragglers are awaited (bounded).
// Every delivery is checked per receiver and sender: nothing lost,
// duplicated or out of order, and every message reached every other client
// (deliveries_total = messages_total x (clients - 1)). The generator's own
// CPU is measured beside the server's (LoadAccount): a window where it was
// above 90% of its core is reported as load_bound. Per delivery it reads
// only the marker at the line's end and one clock reading per read (a
// message sent in answer to a delivery is stamped with that reading). A message the server refused with
// `ERR RATE_LIMITED` is not lost: it is counted apart, sending stops at the
// first one (the offered load is no longer what the server carries), and the
// run ends with status 3 and the tlschatd flags that lift the limit. Only
// lines without a probe are checked for that reply, so deliveries cost
// nothing more. With --workers N the parent runs N copies of itself
// (FanoutWorkers), each owning the clients whose number modulo N is its
// index; this file's FanoutRun is then one worker (FanoutRun+Workers). It
// does not start or stop the server.
import ArgumentParser
import Foundation
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
    @Option(help: "Generator processes sharing the clients (client i belongs to process i mod N); one core each.")
    var workers = 1
    @Option(help: "CPUs to pin the generator process(es) to, e.g. 1,2 (process i gets the i-th, cycling).")
    var cpus: String?
    @Option(help: .hidden) var worker: String?  // set by FanoutWorkers for its children

    func validate() throws {
        guard clients >= 2, clients <= 18_000 else { throw ValidationError("--clients must be 2...18000") }
        guard senders >= 1, senders <= clients else { throw ValidationError("--senders must be 1...--clients") }
        guard window == nil || rate == nil else { throw ValidationError("give --window or --rate, not both") }
        guard (window ?? 1) >= 1, (rate ?? 1) >= 1 else { throw ValidationError("--window and --rate must be positive") }
        guard duration > 0, duration <= 600, warmup >= 0, warmup <= 60, drain >= 0, drain <= 60 else {
            throw ValidationError("--duration 0...600, --warmup and --drain 0...60 seconds")
        }
        guard payload <= 4_000 else { throw ValidationError("--payload at most 4000 bytes") }
        guard (1...64).contains(workers), workers <= clients else { throw ValidationError("--workers must be 1...64 and at most --clients") }
        _ = try cpuList()
    }

    /// --cpus as numbers (empty without it).
    func cpuList() throws -> [Int] {
        guard let cpus else { return [] }
        let numbers = cpus.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil && $0! >= 0 && $0! < 1024 }) else {
            throw ValidationError("--cpus takes CPU numbers separated by commas, e.g. 1,2 (got '\(cpus)')")
        }
        return numbers.map { $0! }
    }

    static let rateLimitedStatus: Int32 = 3

    func run() throws {
        if workers > 1, worker == nil { return try FanoutWorkers(command: self).run() }
        let role = try worker.map(WorkerRole.init(spec:))
        let cpus = try cpuList()
        if !cpus.isEmpty { try CPUAffinity.pinCurrentThread(to: cpus[(role?.index ?? 0) % cpus.count]) }
        let loop = try EventLoop()
        var benchTarget = try target.target()
        let share = try role.map { try WorkerShare(descriptor: $0.memory, index: $0.index, wakeups: $0.wakeups, senders: senders) }
        if let role, role.index != 0 { benchTarget = benchTarget.withoutServerProbe() }  // worker 0 measures the server
        let run = try FanoutRun(loop: loop, target: benchTarget, options: self, share: share, epoch: role?.epoch)
        let totals = try run.execute()
        if let role { return try totals.json().write(to: URL(fileURLWithPath: role.reportPath)) }
        totals.report(setup(cores: totals.load.generatorCores)).print(asJSON: target.json)
        try Self.finish(totals, clients: clients)
    }

    /// What goes into the report beside the totals.
    func setup(cores: Int) -> FanoutTotals.Setup {
        FanoutTotals.Setup(dialect: target.dialect.rawValue + (target.alsoPortDialect.map { "+" + $0.rawValue } ?? ""), transport: target.plain ? "plain" : "tls", clients: clients,
                           senders: senders, mode: rate.map { "rate \($0) msg/s" } ?? "window \(window ?? 16)",
                           payload: payload, offeredRate: rate, workers: workers)
    }

    /// The exit status for `totals`: rate-limited (3, with advice), not verified (1), or 0.
    static func finish(_ totals: FanoutTotals, clients: Int) throws {
        if totals.rateLimited > 0 {
            FileHandleOutput.diagnostic("""
                the server refused \(totals.rateLimited) message(s) with ERR RATE_LIMITED: its per-client command rate \
                limit, not message loss (sending stopped at the first refusal, so no figure above is a measurement). \
                tlschatd's default is a burst of 40 commands per client, then 20 per second; to benchmark it, start it \
                with limits above the load, e.g. tlschatd --command-burst 100000 --commands-per-second 100000 \
                (CAP LS shows a server's rate)
                """)
            throw ExitCode(Self.rateLimitedStatus)
        }
        if !totals.verified(clients: clients) { throw ExitCode(1) }
    }
}

final class FanoutRun {
    let loop: EventLoop
    let target: BenchTarget
    let options: FanoutCommand
    // Copied out of `options`: an ArgumentParser property costs a generic metadata lookup per read.
    let clientCount: Int, senderCount: Int, window: Int
    let offeredRate: Int?
    let pool: ClientPool
    let ledger: MessageLedger
    /// `--workers`: what the workers share, and this worker's clients (number mod workers = index).
    let share: WorkerShare?
    let workerCount: Int, workerIndex: Int
    let localClients: [Int]
    /// By client number: the clients this process owns that send (nil elsewhere).
    var senderClients: [BenchClient?] = []
    /// `--workers`, per local sender: completed messages already answered with a new one.
    var refilled: [Int] = []
    let progress: Progress?
    private var line: ProbeLine
    /// The message line of senders on the --also-port ports when they speak another dialect.
    private var otherLine: ProbeLine?
    /// MonotonicClock nanoseconds at the run's start: send times are microseconds since then.
    /// Workers share the clock (CLOCK_MONOTONIC is system-wide) and take the parent's epoch.
    let epoch: UInt64
    private(set) var outstanding = 0
    var sending = false
    private var measuring = false
    private(set) var latency = LatencyCounts()
    private(set) var measuredDeliveries = 0
    private(set) var measuredMessages = 0
    /// Messages this process's senders sent, warm-up and drain included.
    private(set) var sentTotal = 0
    /// Every delivery, warm-up and drain included (the counter the totals check uses).
    private(set) var allDeliveries = 0
    /// Messages the server refused with `ERR RATE_LIMITED` (never delivered to anyone).
    private(set) var rateLimited = 0

    init(loop: EventLoop, target: BenchTarget, options: FanoutCommand, share: WorkerShare? = nil, epoch: UInt64? = nil) throws {
        self.loop = loop
        self.target = target
        self.options = options
        clientCount = options.clients
        senderCount = options.senders
        window = options.window ?? 16
        offeredRate = options.rate
        pool = ClientPool(loop: loop, target: target)
        self.share = share
        workerCount = share?.workers ?? 1
        workerIndex = share?.index ?? 0
        let (workers, index) = (workerCount, workerIndex)
        localClients = (0..<options.clients).filter { $0 % workers == index }
        if let share {
            ledger = try MessageLedger(senders: senderCount, clients: clientCount, share: share, owner: { $0 % workers })
        } else {
            ledger = MessageLedger(senders: senderCount, clients: clientCount)
        }
        progress = index == 0 ? Progress() : nil
        line = ProbeLine(prefix: target.dialect.messagePrefix(room: target.room), size: options.payload)
        otherLine = target.otherDialect.map { ProbeLine(prefix: $0.messagePrefix(room: target.room), size: options.payload) }
        self.epoch = epoch ?? MonotonicClock.now()
    }

    func execute() throws -> FanoutTotals {
        try pool.connectAll(indexes: localClients, deadline: .seconds(120), progress: progress)
        // The run owns the pool and its clients, so they may hold it unretained.
        senderClients = Array(repeating: nil, count: senderCount)
        for client in pool.clients {
            client.lineSink = Unmanaged.passUnretained(self)
            if client.index < senderCount { senderClients[client.index] = client }
        }
        try waitForAllWorkers()
        let started = MonotonicClock.now()
        sending = true
        var ticker: LoopTimer?
        if let rate = offeredRate {
            // Evenly spaced: message k is due at k / rate seconds, from sender k mod senders
            // (all senders due at once would offer bursts, not a rate); a worker sends its own senders' share.
            var sent = 0
            ticker = loop.scheduleRepeating(every: .milliseconds(1)) { [unowned self] in
                guard sending else { return }
                let now = MonotonicClock.now()
                let due = Int(Double(now - started) / 1e9 * Double(rate))
                let last = min(due, sent + 1_000)  // bounded per tick if the loop fell behind
                while sent < last {
                    if senderClients[sent % senderCount] != nil { send(from: sent % senderCount, at: now) }
                    sent += 1
                }
            }
        } else {
            for sender in 0..<senderCount where senderClients[sender] != nil {
                for _ in 0..<window { send(from: sender, at: started) }
            }
        }
        let account = try measureWindow()
        stopSending()
        ticker?.cancel()
        _ = try loop.run(for: .milliseconds(Int64(options.drain * 1000))) { drained || pool.readyCount < localClients.count }
        let totals = makeTotals(account)
        pool.closeAll()
        latency.release()
        return totals
    }

    /// Warm-up, then the measured window, with the generator's and the server's CPU at its edges.
    private func measureWindow() throws -> LoadAccount {
        _ = try loop.run(for: .milliseconds(Int64(options.warmup * 1000))) { mustStop }
        var account = LoadAccount(server: target.server)
        account.begin()
        let end = MonotonicClock.now() + UInt64(options.duration * 1e9)
        measuring = true
        _ = try loop.run(for: .milliseconds(Int64(options.duration * 1000))) {
            progress?.tick(share == nil ? "fanout: \(measuredDeliveries) deliveries, \(outstanding) outstanding"
                                         : "fanout, worker 0: \(measuredDeliveries) deliveries")
            return mustStop || MonotonicClock.now() >= end
        }
        measuring = false
        account.finish()
        return account
    }

    /// A client closed, a message was refused for the rate, or (workers) another worker said so.
    private var mustStop: Bool {
        pool.readyCount < localClients.count || rateLimited > 0 || (share?.stopRequested ?? false)
    }

    /// Queues `sender`'s next message, stamped `now` (a clock reading the caller already has).
    func send(from sender: Int, at now: UInt64) {
        guard ledger.hasRoom(for: sender), let client = senderClients[sender] else { return stopEverywhere() }
        let sequence = ledger.send(from: sender, at: (now &- epoch) / 1_000)
        outstanding += clientCount - 1
        sentTotal += 1
        if measuring { measuredMessages += 1 }
        if otherLine != nil, target.dialect(for: sender) != target.dialect {
            otherLine!.withLine(for: Probe(sender: sender, sequence: sequence)) { client.send(bytes: $0) }
        } else {
            line.withLine(for: Probe(sender: sender, sequence: sequence)) { client.send(bytes: $0) }
        }
    }

    /// A line reached `receiver`; `now`: the clock reading of the read that brought it.
    func received(_ line: UnsafeRawBufferPointer, by receiver: Int, at now: UInt64) {
        guard let probe = Probe.find(in: line) else {
            if target.dialect(for: receiver).isRateLimitedReply(line) { refusedForRate(sender: receiver) }
            return
        }
        guard case .delivered(let sentAt, let complete) = ledger.arrived(sender: probe.sender, sequence: probe.sequence,
                                                                         at: receiver) else { return }
        outstanding -= 1
        allDeliveries += 1
        if measuring {
            measuredDeliveries += 1
            let receivedAt = (now &- epoch) / 1_000
            latency.record(receivedAt > sentAt ? receivedAt - UInt64(sentAt) : 0)
        }
        guard complete else { return }
        if share != nil { return completedHere(probe) }
        if sending, offeredRate == nil { send(from: probe.sender, at: now) }
    }

    /// One of `sender`'s messages was refused, so nobody will receive it: it is no longer
    /// outstanding, and no figure from here on would measure the offered load.
    private func refusedForRate(sender: Int) {
        guard sender < senderCount else { return }  // only senders send messages
        rateLimited += 1
        outstanding -= clientCount - 1
        stopEverywhere()
    }

    private func makeTotals(_ account: LoadAccount) -> FanoutTotals {
        var totals = FanoutTotals()
        totals.negotiated = pool.negotiated
        totals.load = account.figures
        totals.messages = measuredMessages
        totals.messagesTotal = sentTotal
        totals.deliveries = measuredDeliveries
        totals.deliveriesTotal = allDeliveries
        totals.undelivered = ledger.undelivered
        totals.rateLimited = rateLimited
        totals.duplicated = ledger.duplicated
        totals.reordered = ledger.reordered
        totals.disconnected = pool.closedAfterReady
        totals.echoes = ledger.echoes
        totals.unknown = ledger.unknown
        totals.latency = latency.histogram()
        return totals
    }
}
