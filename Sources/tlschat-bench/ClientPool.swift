// ClientPool: opens N benchmark connections at a bounded rate (--connect-rate)
// on one event loop and waits, with a deadline, until all of them have
// registered and joined the room. Counts connections that failed or closed.
// Lines do not pass through it: each client hands them to the fan-out run.
// It does not send benchmark messages or measure them.
import ChatNet

final class ClientPool {
    let loop: EventLoop
    let target: BenchTarget
    private(set) var clients: [BenchClient] = []
    private(set) var readyCount = 0
    private(set) var failures: [String] = []
    private(set) var closedAfterReady = 0
    /// What the first ready connection negotiated (e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256").
    private(set) var negotiated = "plain"


    init(loop: EventLoop, target: BenchTarget) {
        self.loop = loop
        self.target = target
    }

    /// Connects `count` clients at the target's connect rate; returns when all are ready, or
    /// throws when the deadline passes or too many fail.
    func connectAll(_ count: Int, deadline: Duration, progress: Progress?) throws {
        try connectAll(indexes: Array(0..<count), deadline: deadline, progress: progress)
    }

    /// Connects the clients numbered `indexes` (a worker's share of a fan-out's clients).
    func connectAll(indexes: [Int], deadline: Duration, progress: Progress?) throws {
        let count = indexes.count
        var opened = 0
        let perTick = max(1, target.connectRate / 100)
        let tick = target.connectRate >= 100 ? Duration.milliseconds(10) : .milliseconds(1000 / target.connectRate)
        let ticker = loop.scheduleRepeating(every: tick) { [unowned self] in
            var budget = perTick
            while budget > 0 && opened < count {
                budget -= 1
                let client = BenchClient(index: indexes[opened], target: target, owner: self)
                opened += 1
                clients.append(client)
                do { try client.connect(loop: loop) } catch { failures.append("client \(client.index): \(error)") }
            }
        }
        defer { ticker.cancel() }
        let allReady = try loop.run(for: deadline) {
            progress?.tick("connecting: \(readyCount)/\(count) ready, \(failures.count) failed")
            return readyCount == count || failures.count > max(10, count / 100)
                || (opened == count && readyCount + failures.count + closedAfterReady >= count)
        }
        if !allReady || readyCount < count {
            let sample = failures.prefix(3).joined(separator: "; ")
            throw BenchError("only \(readyCount) of \(count) connections became ready (\(failures.count) failed: \(sample))")
        }
    }

    /// Closes every connection gracefully (close_notify, FIN, the server's EOF) with a deadline.
    func closeAll() {
        for client in clients { client.close(.graceful) }
        _ = try? loop.run(for: .seconds(5)) { clients.allSatisfy { $0.connection == nil } }
    }

    // MARK: What clients report

    func clientIsReady(_ client: BenchClient) {
        if readyCount == 0, let connection = client.connection { negotiated = connection.securityDescription }
        readyCount += 1
    }

    func client(_ client: BenchClient, closedWith reason: CloseReason) {
        if client.isReady {
            readyCount -= 1
            closedAfterReady += 1
        } else {
            failures.append("client \(client.index): \(reason)")
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
