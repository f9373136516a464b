// FanoutWorkers: `tlschat-bench fanout --workers N`, the parent. It creates
// what the workers share (a memfd sized for WorkerShare, one eventfd per
// worker, inherited across exec), starts N copies of this executable with the
// same arguments plus `--worker SPEC` (posix_spawn of /proc/self/exe), waits
// for them, stops the others by PID if one fails, reads each worker's totals
// (JSON in a temporary directory), adds them up (FanoutTotals.merged) and
// prints one report like a single process's, with the generator's CPU summed
// over the workers and judged against the cores they could use: N, at most
// the CPUs in --cpus (or this process's CPU affinity). Only worker 0 measures
// the server. It sends and receives nothing itself.
import CLinuxShim
import ChatNet
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct FanoutWorkers {
    let command: FanoutCommand

    func run() throws {
        let count = command.workers
        let memory = CLinuxShim_memfd_create("tlschat-bench-workers", 0)
        guard memory >= 0, ftruncate(memory, off_t(WorkerShare.length(senders: command.senders))) == 0 else {
            throw BenchError("cannot create the workers' shared memory: \(String(cString: strerror(errno)))")
        }
        defer { close(memory) }
        let wakeups = try (0..<count).map { _ -> Int32 in
            let descriptor = CLinuxShim_eventfd(0, Int32(EFD_NONBLOCK))
            guard descriptor >= 0 else { throw BenchError("eventfd: \(String(cString: strerror(errno)))") }
            return descriptor
        }
        defer { wakeups.forEach { close($0) } }
        var template = Array("/tmp/tlschat-bench-workers.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp: \(String(cString: strerror(errno)))") }
        let directory = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let epoch = MonotonicClock.now()
        let roles = (0..<count).map {
            WorkerRole(index: $0, epoch: epoch, memory: memory, wakeups: wakeups, reportPath: "\(directory)/worker\($0).json")
        }
        let children = try roles.map { try spawn(arguments: Array(CommandLine.arguments.dropFirst()) + ["--worker", $0.spec]) }
        try waitForAll(children)
        let parts = try roles.map { role -> FanoutTotals in
            guard let data = FileManager.default.contents(atPath: role.reportPath) else {
                throw BenchError("worker \(role.index) wrote no report")
            }
            return try FanoutTotals.decode(data)
        }
        let totals = FanoutTotals.merged(parts, cores: cores())
        totals.report(command.setup(cores: totals.load.generatorCores)).print(asJSON: command.target.json)
        try FanoutCommand.finish(totals, clients: command.clients)
    }

    /// The cores N single-threaded workers can keep busy.
    func cores() -> Int {
        let cpus = (try? command.cpuList()) ?? []
        let available = cpus.isEmpty ? CPUAffinity.allowed().count : Set(cpus).count
        return max(1, min(command.workers, available))
    }

    private func spawn(arguments: [String]) throws -> pid_t {
        let executable = "/proc/self/exe"
        let argv = ([CommandLine.arguments[0]] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, nil, nil, argv, environ)
        guard status == 0 else { throw BenchError("cannot start a worker: \(String(cString: strerror(status)))") }
        return pid
    }

    /// Waits for every child; when one fails, stops the others (by PID) and says which failed.
    private func waitForAll(_ children: [pid_t]) throws {
        var running = Set(children)
        var failed: [String] = []
        while !running.isEmpty {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid < 0 { if errno == EINTR { continue }; break }
            guard running.remove(pid) != nil else { continue }
            let exited = status & 0x7f == 0
            let code = (status >> 8) & 0xff
            // 1 (not verified) and 3 (rate limited) still come with a report: the merged one decides.
            guard !exited || ![0, 1, 3].contains(code) else { continue }
            failed.append("worker \(children.firstIndex(of: pid) ?? -1) " + (exited ? "exited with \(code)" : "died of signal \(status & 0x7f)"))
            for other in running { kill(other, SIGTERM) }
        }
        if !failed.isEmpty { throw BenchError(failed.joined(separator: "; ")) }
    }
}
