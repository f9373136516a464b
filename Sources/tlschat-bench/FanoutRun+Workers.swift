// FanoutRun+Workers: what one fan-out process does differently when it is a
// worker of `--workers N`, and the phases every run shares. Before sending,
// each worker waits until all have their clients ready (so no early message
// misses a late joiner). A message is complete for its sender once every
// worker's receivers have it: the worker whose receivers got their last copy
// decrements the message's shared count of workers; the one that brings it to
// zero counts a completion for the sender and wakes the sender's worker,
// which sends that sender's next message (window mode). A worker stops
// sending at the end of its window, or everywhere at once after a refusal;
// it is drained when all workers stopped and its receivers got every copy
// of every message sent. One process without workers skips all of this.
import ChatNet

/// `--worker INDEX:EPOCH:MEMFD:EVENTFD,EVENTFD...:REPORT`, given by the parent to each child.
struct WorkerRole: Equatable {
    let index: Int
    /// The parent's MonotonicClock reading: send times are counted from it in every worker.
    let epoch: UInt64
    let memory: Int32
    let wakeups: [Int32]
    let reportPath: String

    var spec: String {
        "\(index):\(epoch):\(memory):\(wakeups.map(String.init).joined(separator: ",")):\(reportPath)"
    }

    init(index: Int, epoch: UInt64, memory: Int32, wakeups: [Int32], reportPath: String) {
        (self.index, self.epoch, self.memory, self.wakeups, self.reportPath) = (index, epoch, memory, wakeups, reportPath)
    }

    init(spec: String) throws {
        let parts = spec.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, let index = Int(parts[0]), let epoch = UInt64(parts[1]), let memory = Int32(parts[2]) else {
            throw BenchError("bad --worker '\(spec)'")
        }
        let wakeups = parts[3].split(separator: ",").compactMap { Int32($0) }
        guard wakeups.count == parts[3].split(separator: ",").count, index >= 0, index < wakeups.count,
              !parts[4].isEmpty else { throw BenchError("bad --worker '\(spec)'") }
        self.init(index: index, epoch: epoch, memory: memory, wakeups: wakeups, reportPath: String(parts[4]))
    }
}

extension BenchTarget {
    /// The same target without measuring the server (a worker other than the first).
    func withoutServerProbe() -> BenchTarget {
        BenchTarget(address: address, otherAddresses: otherAddresses, tlsContext: tlsContext, serverName: serverName, dialect: dialect, otherDialect: otherDialect, room: room,
                    joinsRoom: joinsRoom, connectRate: connectRate, server: nil)
    }
}

extension FanoutRun {
    /// Workers: waits (bounded) until every worker has all its clients in the room.
    func waitForAllWorkers() throws {
        guard let share else { return }
        share.arriveReady()
        let ticker = loop.scheduleRepeating(every: .milliseconds(1)) {}
        defer { ticker.cancel() }
        let ready = try loop.run(for: .seconds(120)) { share.allReady || share.stopRequested }
        guard ready, !share.stopRequested else { throw BenchError("the other workers did not get their clients ready") }
        refilled = Array(repeating: 0, count: senderCount)
        share.onCompletions = { [unowned self] in refill() }
        try share.register(on: loop)
    }

    /// This worker's receivers all got `probe`'s message: if no other worker still waits
    /// for it, it is complete, and its sender's worker sends the next one.
    func completedHere(_ probe: Probe) {
        guard let share, ledger.finishedHere(sender: probe.sender, sequence: probe.sequence) else { return }
        share.complete(sender: probe.sender, owner: probe.sender % workerCount)
    }

    /// Answers every new completion of a local sender's messages with its next message.
    func refill() {
        guard let share else { return }
        let now = MonotonicClock.now()
        for sender in 0..<senderCount where senderClients[sender] != nil {
            let completed = share.completed(by: sender)
            while refilled[sender] < completed {
                refilled[sender] += 1
                if sending, offeredRate == nil { send(from: sender, at: now) }
            }
        }
    }

    /// The end of this process's window.
    func stopSending() {
        guard sending else { return }
        sending = false
        share?.arriveStoppedSending()
    }

    /// Stops this process's sending and, with workers, everyone's.
    func stopEverywhere() {
        share?.requestStop()
        stopSending()
    }

    /// Nothing more will arrive: every message this process (or, with workers, any worker) sent reached every receiver here.
    var drained: Bool {
        guard let share else { return outstanding == 0 }
        // After a stop (a refusal: the run's figures are void anyway) nobody waits for the rest.
        return share.allStoppedSending && (share.stopRequested || allDeliveries >= ledger.expectedHere)
    }
}
