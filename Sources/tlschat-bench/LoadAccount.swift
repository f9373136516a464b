// LoadAccount: who was busy during a measurement window, the generator or the
// server. It reads this process's own CPU time (getrusage: user + system, all
// threads) and, when given, the server's (ServerProbe) at the window's edges,
// and reports both as a share of the cores each could use: the generator's
// cores are its event-loop threads (one per process) within its CPU affinity,
// the server's figure is its CPU-seconds per wall second (1.0 = one core
// busy). A window in which the generator was above 90% of its cores is marked
// "load_bound": the figures then describe the generator as much as the
// server; "bound_by" names whichever side (or neither) set the pace, and
// "generator_per_server_cpu" compares the two sides' CPU over the window.
// It measures nothing else and changes no process.
import ChatNet
#if canImport(Glibc)
import Glibc
#endif

struct LoadAccount {
    /// Above this share of its cores the generator, not the server, may set the pace.
    static let loadBoundShare = 0.9

    private let server: ServerProbe?
    private let generatorThreads: Int
    private var start: (generator: Double, server: Double?, at: UInt64)?
    private var end: (generator: Double, server: Double?, at: UInt64)?

    /// `generatorThreads`: the threads that generate load (the event loop: 1).
    init(server: ServerProbe?, generatorThreads: Int = 1) {
        self.server = server
        self.generatorThreads = generatorThreads
    }

    mutating func begin() { start = (Self.ownCPUSeconds(), server?.cpuSeconds(), MonotonicClock.now()) }
    mutating func finish() { end = (Self.ownCPUSeconds(), server?.cpuSeconds(), MonotonicClock.now()) }

    var wallSeconds: Double {
        guard let start, let end else { return 0 }
        return Double(end.at - start.at) / 1e9
    }
    var serverCPUSeconds: Double? {
        guard let start, let end, let before = start.server, let after = end.server else { return nil }
        return after - before
    }
    var generatorCPUSeconds: Double {
        guard let start, let end else { return 0 }
        return end.generator - start.generator
    }
    /// The cores the generator can keep busy: its load threads, at most its allowed CPUs.
    var generatorCores: Int { max(1, min(generatorThreads, CPUAffinity.allowed().count)) }

    /// The window's figures (what a `--workers` worker hands its parent).
    var figures: LoadFigures {
        LoadFigures(wallSeconds: wallSeconds, generatorCPUSeconds: generatorCPUSeconds, generatorCores: generatorCores,
                    serverCPUSeconds: serverCPUSeconds)
    }

    /// The keys every report carries (see BENCHMARKS.md, "Method").
    func add(to report: inout Report) { figures.add(to: &report) }

    /// user + system CPU seconds of this process so far.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        guard getrusage(Int32(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// One measurement window's CPU figures, for one generator process or summed over
/// `--workers` (CPU seconds and cores add up; the wall time is the longest window).
struct LoadFigures: Codable, Equatable {
    var wallSeconds: Double
    var generatorCPUSeconds: Double
    var generatorCores: Int
    var serverCPUSeconds: Double?

    /// Generator CPU-seconds per wall second, as a share of its cores (1.0 = all of them busy).
    var generatorShare: Double? {
        wallSeconds > 0 ? generatorCPUSeconds / wallSeconds / Double(max(1, generatorCores)) : nil
    }
    var serverShare: Double? { serverCPUSeconds.flatMap { wallSeconds > 0 ? $0 / wallSeconds : nil } }
    var loadBound: Bool { (generatorShare ?? 0) > LoadAccount.loadBoundShare }
    /// The generator's CPU-seconds per server CPU-second over the same window: for a fan-out,
    /// where both sides handle the same deliveries, the generator's cost per delivery
    /// relative to the server's (at most 1 keeps the server the first to run out of CPU).
    var generatorPerServerCPU: Double? {
        serverCPUSeconds.flatMap { $0 > 0 ? generatorCPUSeconds / $0 : nil }
    }
    /// What set the pace: "generator" (load-bound), "server" (its core above 90% busy while
    /// the generator was not), or "offered load" (neither: the window or rate did, so a
    /// throughput figure is the load asked for, not a capacity; per-CPU-second figures stand).
    var bound: String {
        if loadBound { return "generator" }
        guard let server = serverShare else { return "unknown" }
        return server > LoadAccount.loadBoundShare ? "server" : "offered load"
    }

    func add(to report: inout Report) {
        report.add("server_cpu_seconds", serverCPUSeconds)
        report.add("server_cpu_share", serverShare)
        report.add("generator_cpu_seconds", generatorCPUSeconds)
        report.add("generator_cores", generatorCores)
        report.add("generator_cpu_share", generatorShare)
        report.add("load_bound", .bool(loadBound))
        report.add("generator_per_server_cpu", generatorPerServerCPU)
        report.add("bound_by", bound)
    }
}
