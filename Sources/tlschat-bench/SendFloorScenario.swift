// SendFloorScenario: `tlschat-bench send-floor`, the kernel's floor under the
// fan-out figures: what one 100-byte send(2) to each of N loopback TCP
// sockets costs, with no server, no TLS and no chat work, so no server that
// writes each socket once per message can do better. The sending thread (this
// one) is pinned like the server (default CPU 0), a reader thread like the
// load generator (default CPU 1; SendFloorReader says why a thread). Each
// round sends once to every socket; one untimed warm-up round, then R rounds,
// each after the previous one was completely received plus a pause. Reported:
// the sender's thread CPU per send, the round's send loop time (p50/p99), and
// per round the wait of the median and of the last recipient from the
// round's start to its bytes' arrival (p50/p99 over rounds), and whether every
// byte arrived. It does not model TLS, batching several messages per write,
// or a server's own work; it is bounded by --deadline.
import ArgumentParser
import ChatNet
#if canImport(Glibc)
import Glibc
#endif

struct SendFloorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-floor",
        abstract: "Kernel floor: one small send to each of N loopback TCP sockets per round (no server, no TLS).")

    @Option(help: "Receiving sockets N.") var connections = 999
    @Option(help: "Measured rounds (after one warm-up round).") var rounds = 50
    @Option(help: "Bytes per send.") var bytes = 100
    @Option(help: "Milliseconds of pause after each round has been received.") var gapMs = 10.0
    @Option(help: "CPU of the sending thread (like the server).") var senderCpu = 0
    @Option(help: "CPU of the reading thread (like the load generator).") var readerCpu = 1
    @Option(help: "Seconds before everything stops.") var deadline = 60.0
    @Flag(help: "One JSON object instead of a table.") var json = false

    func validate() throws {
        guard (1...20_000).contains(connections) else { throw ValidationError("--connections must be 1...20000") }
        guard (1...1_000).contains(rounds) else { throw ValidationError("--rounds must be 1...1000") }
        guard (1...16_384).contains(bytes) else { throw ValidationError("--bytes must be 1...16384") }
        guard gapMs >= 0, gapMs <= 1_000, deadline >= 1, deadline <= 600 else {
            throw ValidationError("--gap-ms must be 0...1000 and --deadline 1...600")
        }
    }

    func run() throws {
        try? DescriptorLimit.raiseToHardLimit()
        let stop = MonotonicClock.now() + UInt64(deadline * 1e9)
        let pairs = try LoopbackPairs(count: connections)
        defer { pairs.closeAll() }
        try CPUAffinity.pinCurrentThread(to: senderCpu)
        let reader = try SendFloorReader(receivers: pairs.receivers, bytesPerRound: bytes, rounds: rounds + 1,
                                         cpu: readerCpu, deadline: stop)
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            Unmanaged<SendFloorReader>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, Unmanaged.passRetained(reader).toOpaque())
        guard started == 0 else { throw BenchError("send-floor: cannot start the reader thread") }
        var rounds = SendFloorRounds(connections: connections)
        let status = sendRounds(pairs.senders, reader: reader, stop: stop, into: &rounds)
        pairs.closeSenders()  // the reader sees end-of-file on every socket and returns
        pthread_join(thread, nil)
        let expected = rounds.sent * connections * bytes
        let verified = status == "ok" && reader.failure == nil && reader.receivedBytes == expected
            && reader.socketsLeftOpen == 0 && rounds.measured == self.rounds
        var report = Report()
        report.add("scenario", "send-floor")
        report.add("what", "one \(bytes)-byte send() to each of \(connections) loopback TCP sockets per round")
        report.add("connections", connections)
        report.add("rounds", rounds.measured)
        report.add("message_bytes", bytes)
        report.add("gap_ms", gapMs)
        report.add("pinning", "sender CPU \(senderCpu), reader CPU \(readerCpu)")
        report.add("status", reader.failure ?? status)
        rounds.add(to: &report)
        report.add("received_bytes", reader.receivedBytes)
        report.add("expected_bytes", expected)
        report.add("verified", .bool(verified))
        report.print(asJSON: json)
        if !verified { throw ExitCode(1) }
    }

    /// The warm-up round and the measured ones; "ok" or why it stopped.
    private func sendRounds(_ senders: [Int32], reader: SendFloorReader, stop: UInt64, into rounds: inout SendFloorRounds) -> String {
        let message = [UInt8](repeating: UInt8(ascii: "m"), count: bytes)
        for round in 0...self.rounds {
            let cpuBefore = SendFloorRounds.threadCPUNanoseconds(), begin = MonotonicClock.now()
            for fd in senders {
                let sent = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent == bytes else { return "short send (\(sent)): \(String(cString: strerror(errno)))" }
            }
            let end = MonotonicClock.now(), cpuAfter = SendFloorRounds.threadCPUNanoseconds()
            rounds.sent += 1
            guard waitForRound(reader, stop: stop) else { return "round \(round) not received before the deadline" }
            if round > 0 {
                rounds.record(begin: begin, end: end, cpu: cpuAfter - cpuBefore,
                              arrivals: reader.arrivals + round * senders.count)
            }
            if gapMs > 0 { usleep(UInt32(gapMs * 1_000)) }
        }
        return "ok"
    }

    private func waitForRound(_ reader: SendFloorReader, stop: UInt64) -> Bool {
        var descriptor = pollfd(fd: reader.roundDone.read, events: Int16(POLLIN), revents: 0)
        let now = MonotonicClock.now()
        guard now < stop, poll(&descriptor, 1, Int32((stop - now) / 1_000_000) + 1) == 1 else { return false }
        var byte: UInt8 = 0
        return read(reader.roundDone.read, &byte, 1) == 1
    }
}
