// WorkersTests: the pieces of `fanout --workers` that need no server. The
// worker spec survives its round trip and bad ones are refused; totals from
// several workers add up (counts, CPU, histograms) and decide `verified`; the
// per-microsecond latency counts give the histogram that recording each value
// would; and two ledgers over one shared memory (two workers in one test
// process) check order per sender for receivers of either worker, complete a
// message only when both workers' receivers have it, and count what is missing.
@testable import tlschat_bench
import CLinuxShim
import Histogram
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Workers")
struct WorkersTests {
    @Test("the --worker spec round-trips; bad specs are refused")
    func workerSpec() throws {
        let role = WorkerRole(index: 1, epoch: 123_456, memory: 7, wakeups: [8, 9], reportPath: "/tmp/x:y/worker1.json")
        #expect(try WorkerRole(spec: role.spec) == role)
        for bad in ["", "1:2:3", "2:1:7:8,9:/tmp/r", "0:1:7::/tmp/r", "0:1:7:8,x:/tmp/r", "0:1:7:8:", "a:1:7:8:/r"] {
            #expect(throws: BenchError.self, "\(bad)") { try WorkerRole(spec: bad) }
        }
    }

    @Test("merged totals: counts and CPU add up, histograms are added, the longest window is the wall time")
    func mergedTotals() {
        func part(_ deliveries: Int, latency: [UInt64], server: Double?) -> FanoutTotals {
            var totals = FanoutTotals()
            totals.load = LoadFigures(wallSeconds: 1.0 + Double(deliveries) / 1000, generatorCPUSeconds: 0.5,
                                      generatorCores: 1, serverCPUSeconds: server)
            totals.messagesTotal = deliveries / 4
            totals.deliveriesTotal = deliveries
            totals.deliveries = deliveries
            for value in latency { totals.latency.record(value) }
            return totals
        }
        let merged = FanoutTotals.merged([part(40, latency: [10, 20], server: 0.7), part(60, latency: [30], server: nil)], cores: 2)
        #expect(merged.deliveriesTotal == 100 && merged.messagesTotal == 25)
        #expect(merged.load.generatorCPUSeconds == 1.0 && merged.load.generatorCores == 2)
        #expect(merged.load.wallSeconds == 1.06 && merged.load.serverCPUSeconds == 0.7)
        #expect(merged.latency.totalCount == 3 && merged.latency.max == 30)
        #expect(merged.verified(clients: 5))  // 25 messages x 4 recipients
        var short = merged
        short.deliveriesTotal -= 1
        #expect(!short.verified(clients: 5))
        #expect(merged.load.generatorShare == 1.0 / 1.06 / 2)
    }

    @Test("latency counts fold into the histogram recording each value would give")
    func latencyCounts() {
        var counts = LatencyCounts()
        defer { counts.release() }
        var direct = LatencyCounts.emptyHDR()
        for value: UInt64 in [0, 1, 1, 999, 65_535, 1_048_575, 1_048_576, 5_000_000, 130_000_000] {
            counts.record(value)
            direct.record(value)
        }
        let folded = counts.histogram()
        #expect(folded.totalCount == direct.totalCount && folded.max == direct.max)
        for percentile in [10.0, 50.0, 90.0, 99.0] {
            #expect(folded.valueAtPercentile(percentile) == direct.valueAtPercentile(percentile))
        }
    }

    @Test("two workers' ledgers over one shared memory: order per sender, completion only when both workers are done")
    func sharedLedgers() throws {
        let senders = 2, clients = 4  // worker 0 owns clients 0 and 2, worker 1 owns 1 and 3
        let memory = CLinuxShim_memfd_create("workers-test", 0)
        #expect(memory >= 0)
        defer { close(memory) }
        #expect(ftruncate(memory, off_t(WorkerShare.length(senders: senders))) == 0)
        let shares = try (0..<2).map { try WorkerShare(descriptor: memory, index: $0, wakeups: [-1, -1], senders: senders) }
        let ledgers = try shares.map { try MessageLedger(senders: senders, clients: clients, share: $0, owner: { $0 % 2 }) }
        // Sender 0 (worker 0) sends two messages, sender 1 (worker 1) one.
        #expect(ledgers[0].send(from: 0, at: 5) == 0 && ledgers[0].send(from: 0, at: 6) == 1)
        #expect(ledgers[1].send(from: 1, at: 7) == 0)
        #expect(ledgers[1].expectedHere == 2 * 2 + 1 * 1 && ledgers[0].expectedHere == 2 * 1 + 1 * 2)
        // Worker 1 sees sender 0's message 0 at client 1, then client 3: complete there.
        #expect(ledgers[1].arrived(sender: 0, sequence: 0, at: 1) == .delivered(sentAt: 5, complete: false))
        #expect(ledgers[1].arrived(sender: 0, sequence: 0, at: 3) == .delivered(sentAt: 5, complete: true))
        #expect(!ledgers[1].finishedHere(sender: 0, sequence: 0))  // worker 0's client 2 still waits
        #expect(ledgers[0].arrived(sender: 0, sequence: 0, at: 2) == .delivered(sentAt: 5, complete: true))
        #expect(ledgers[0].finishedHere(sender: 0, sequence: 0))
        // Order per sender at a receiver of the other worker; 0 again is a duplicate.
        #expect(ledgers[1].arrived(sender: 0, sequence: 1, at: 1) == .delivered(sentAt: 6, complete: false))
        #expect(ledgers[1].arrived(sender: 0, sequence: 1, at: 3) == .delivered(sentAt: 6, complete: true))
        #expect(ledgers[1].arrived(sender: 1, sequence: 0, at: 3) == .delivered(sentAt: 7, complete: true))
        #expect(ledgers[1].arrived(sender: 0, sequence: 0, at: 1) == .duplicate)
        #expect(ledgers[1].arrived(sender: 1, sequence: 0, at: 1) == .echo)
        #expect(ledgers[1].arrived(sender: 1, sequence: 1, at: 3) == .unknown)  // not sent yet
        #expect(ledgers[1].duplicated == 1 && ledgers[1].undelivered == 0)
        #expect(ledgers[0].undelivered == 1 + 2)  // client 2 lacks sender 0's message 1; 0 and 2 lack sender 1's
    }
}
