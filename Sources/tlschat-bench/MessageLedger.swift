// MessageLedger: the fan-out's bookkeeping of every message it sent: per
// message, how many receivers still have to get it and when it was queued;
// per receiver and sender, the next sequence expected. It classifies each
// arriving marker as a delivery (first time, in order or late = reordered), a
// duplicate, an echo to the sender or unknown, and sums what was never
// delivered. Flat manually managed buffers, so a delivery costs a few loads
// and stores and no reference counting or uniqueness checks (measured with
// callgrind, see BENCHMARKS.md). It does no I/O and reads no clock; one
// event-loop thread uses it. With `--workers` each generator process has its
// own ledger for its own receivers, over slots and sequences shared by all of
// them (WorkerShare): a slot's `remaining` then counts the workers still
// waiting for the message, and each worker counts its own receivers' copies
// apart (`localCount`), so the order per sender is checked by every receiver
// whichever process sent.

import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

final class MessageLedger {
    struct Slot {
        /// Receivers (one process), or workers (`--workers`), that still have to get it.
        var remaining: Int32
        /// Microseconds since the run's start when the message was queued.
        var sentAt: UInt32
    }

    let senders: Int
    let clients: Int
    /// Per sender: the next sequence it sends (= messages it sent).
    private let nextSequence: UnsafeMutablePointer<Int>
    /// Per message (sequence * senders + sender); slots of sequences not sent yet hold 0.
    private var slots: UnsafeMutablePointer<Slot>
    private var capacity: Int
    /// `--workers`: per message, copies this worker's receivers got (nil: one process).
    private let localCount: UnsafeMutablePointer<Int32>?
    /// `--workers`: per sender, this worker's receivers of its messages, and the workers that have any.
    private let recipientsHere: [Int32]
    private let workersWithRecipients: [Int32]
    /// Per receiver and sender (receiver * senders + sender): the next sequence expected.
    private let expected: UnsafeMutablePointer<Int>
    /// Sequences a receiver skipped over (only when something arrives early): one that
    /// shows up later was reordered, anything else behind `expected` is a duplicate.
    private var skipped: [Int: Set<Int>] = [:]
    private(set) var duplicated = 0, reordered = 0, echoes = 0, unknown = 0

    init(senders: Int, clients: Int) {
        self.senders = senders
        self.clients = clients
        nextSequence = .allocate(capacity: senders)
        nextSequence.initialize(repeating: 0, count: senders)
        capacity = senders * 4_096
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(remaining: 0, sentAt: 0), count: capacity)
        expected = .allocate(capacity: senders * clients)
        expected.initialize(repeating: 0, count: senders * clients)
        localCount = nil
        recipientsHere = []
        workersWithRecipients = []
    }

    /// A worker's ledger over `share`'s slots and sequences; `owner(client)` is the worker
    /// that owns a client (the same function in every worker).
    init(senders: Int, clients: Int, share: WorkerShare, owner: (Int) -> Int) throws {
        self.senders = senders
        self.clients = clients
        nextSequence = share.nextSequences
        capacity = WorkerShare.slotCapacity
        slots = share.slotMemory.assumingMemoryBound(to: Slot.self)
        expected = .allocate(capacity: senders * clients)
        expected.initialize(repeating: 0, count: senders * clients)
        guard let counts = mmap(nil, capacity * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              counts != MAP_FAILED else { throw BenchError("cannot map the worker's delivery counts") }
        localCount = counts.assumingMemoryBound(to: Int32.self)
        var here = [Int32](repeating: 0, count: senders), workersPer = [Int32](repeating: 0, count: senders)
        for sender in 0..<senders {
            var seen = Set<Int>()
            for client in 0..<clients where client != sender {
                seen.insert(owner(client))
                if owner(client) == share.index { here[sender] += 1 }
            }
            workersPer[sender] = Int32(seen.count)
        }
        recipientsHere = here
        workersWithRecipients = workersPer
    }

    deinit {
        expected.deallocate()
        if let localCount {
            munmap(localCount, capacity * 4)
        } else {
            slots.deallocate()
            nextSequence.deallocate()
        }
    }

    /// `--workers`: copies this worker's receivers are to get of every message sent so far.
    var expectedHere: Int {
        (0..<senders).reduce(0) { $0 + nextSequence[$1] * Int(recipientsHere[$1]) }
    }

    /// False once the next message of `sender` would not fit (workers' ledgers do not grow).
    func hasRoom(for sender: Int) -> Bool {
        localCount == nil || nextSequence[sender] * senders + sender < capacity
    }

    /// `--workers`: this worker's receivers have all got the message; true when it was the
    /// last worker to be done (the message is complete for everyone).
    func finishedHere(sender: Int, sequence: Int) -> Bool {
        withUnsafeMutablePointer(to: &slots[sequence * senders + sender].remaining) {
            CLinuxShim_atomic_add_i32($0, -1) == 0
        }
    }

    var messagesSent: Int { (0..<senders).reduce(0) { $0 + nextSequence[$1] } }

    /// Messages `sender` has sent so far.
    func sent(by sender: Int) -> Int { nextSequence[sender] }

    /// Records `sender`'s next message, queued at `sentAt` (microseconds); returns its sequence.
    func send(from sender: Int, at sentAt: UInt64) -> Int {
        let sequence = nextSequence[sender]
        nextSequence[sender] = sequence + 1
        let message = sequence * senders + sender
        if message >= capacity { grow(to: message + 1) }
        let remaining = localCount == nil ? Int32(clients - 1) : workersWithRecipients[sender]
        slots[message] = Slot(remaining: remaining, sentAt: UInt32(truncatingIfNeeded: sentAt))
        return sequence
    }

    /// What a marker that reached `receiver` was.
    enum Arrival: Equatable {
        /// Counted as delivered; `sentAt` in microseconds; `complete`: it was the last receiver.
        case delivered(sentAt: UInt32, complete: Bool)
        case duplicate, echo, unknown
    }

    func arrived(sender: Int, sequence: Int, at receiver: Int) -> Arrival {
        guard sender >= 0, sequence >= 0, sender < senders, sequence < nextSequence[sender] else {
            unknown += 1
            return .unknown
        }
        guard sender != receiver else { echoes += 1; return .echo }  // a server that echoes to the sender
        let slot = receiver * senders + sender
        let next = expected[slot]
        if sequence == next {
            expected[slot] = next + 1
        } else if sequence > next {
            skipped[slot, default: []].formUnion(next..<sequence)
            expected[slot] = sequence + 1
        } else {
            guard skipped[slot]?.remove(sequence) != nil else { duplicated += 1; return .duplicate }
            reordered += 1  // late, but delivered
        }
        let message = sequence * senders + sender
        if let localCount {  // --workers: complete here when this worker's receivers all have it
            localCount[message] += 1
            return .delivered(sentAt: slots[message].sentAt, complete: localCount[message] == recipientsHere[sender])
        }
        slots[message].remaining -= 1
        return .delivered(sentAt: slots[message].sentAt, complete: slots[message].remaining == 0)
    }

    /// Receiver-deliveries still missing, summed over every message sent.
    var undelivered: Int {
        var total = 0
        for sender in 0..<senders {
            for sequence in 0..<nextSequence[sender] {
                let message = sequence * senders + sender
                if let localCount {
                    total += Int(max(recipientsHere[sender] - localCount[message], 0))
                } else {
                    total += Int(max(slots[message].remaining, 0))
                }
            }
        }
        return total
    }

    private func grow(to needed: Int) {
        let larger = max(needed, capacity * 2)
        let moved = UnsafeMutablePointer<Slot>.allocate(capacity: larger)
        moved.moveInitialize(from: slots, count: capacity)
        (moved + capacity).initialize(repeating: Slot(remaining: 0, sentAt: 0), count: larger - capacity)
        slots.deallocate()
        slots = moved
        capacity = larger
    }
}
