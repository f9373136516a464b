// WorkerShare: what the generator processes of `fanout --workers N` share.
// The parent creates one memfd before spawning them; each worker maps it
// (MAP_SHARED) and finds there: a small header (workers ready, workers done
// sending, a stop flag), per sender its next sequence (written only by the
// worker that owns the sender) and its count of completed messages, and per
// message the ledger slot (`MessageLedger.Slot`: send time, and here the
// number of workers that still have receivers waiting for it). Each worker
// also has an eventfd: a worker that completes a message of another
// worker's sender wakes that worker, which then sends the sender's next
// messages (window mode). Counters other processes change are read and
// written with atomics (CLinuxShim). It decides nothing about deliveries;
// MessageLedger and FanoutRun do.
import CLinuxShim
import ChatNet
#if canImport(Glibc)
import Glibc
#endif

final class WorkerShare: LoopHandler {
    /// Messages the shared ledger can hold (all senders): 8 bytes each, mapped lazily.
    static let slotCapacity = 1 << 25
    private static let headerWords = 8
    private enum Word: Int { case ready = 0, stoppedSending = 1, stop = 2 }

    let index: Int
    let workers: Int
    let senders: Int
    private let base: UnsafeMutableRawPointer
    private let length: Int
    private let wakeups: [Int32]
    private var registration: LoopRegistration?
    /// Called when messages of this worker's senders may have completed (read the counts with `completed(by:)`).
    var onCompletions: (() -> Void)?

    /// Bytes the parent must give the memfd.
    static func length(senders: Int) -> Int {
        (headerWords + 2 * senders) * 8 + slotCapacity * 8
    }

    /// Maps the memfd `descriptor`; `wakeups`: every worker's eventfd, by worker index.
    init(descriptor: Int32, index: Int, wakeups: [Int32], senders: Int) throws {
        self.index = index
        workers = wakeups.count
        self.senders = senders
        self.wakeups = wakeups
        length = Self.length(senders: senders)
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), mapped != MAP_FAILED else {
            throw BenchError("cannot map the workers' shared memory: \(String(cString: strerror(errno)))")
        }
        base = mapped
    }

    deinit { munmap(base, length) }

    private func word(_ offset: Int) -> UnsafeMutablePointer<Int64> {
        base.assumingMemoryBound(to: Int64.self) + offset
    }

    /// Per sender: the next sequence (the ledger's `nextSequence`, shared).
    var nextSequences: UnsafeMutablePointer<Int> {
        (base + Self.headerWords * 8).assumingMemoryBound(to: Int.self)
    }
    private func completedWord(_ sender: Int) -> UnsafeMutablePointer<Int64> { word(Self.headerWords + senders + sender) }
    /// The ledger's slots.
    var slotMemory: UnsafeMutableRawPointer { base + (Self.headerWords + 2 * senders) * 8 }

    // MARK: Phases

    func arriveReady() { _ = CLinuxShim_atomic_add_i64(word(Word.ready.rawValue), 1) }
    var allReady: Bool { CLinuxShim_atomic_load_i64(word(Word.ready.rawValue)) >= Int64(workers) }
    func arriveStoppedSending() { _ = CLinuxShim_atomic_add_i64(word(Word.stoppedSending.rawValue), 1) }
    var allStoppedSending: Bool { CLinuxShim_atomic_load_i64(word(Word.stoppedSending.rawValue)) >= Int64(workers) }
    /// Set by a worker that must stop everyone's sending (a rate-limit refusal, a full ledger).
    func requestStop() { CLinuxShim_atomic_store_i64(word(Word.stop.rawValue), 1) }
    var stopRequested: Bool { CLinuxShim_atomic_load_i64(word(Word.stop.rawValue)) != 0 }

    // MARK: Completions

    /// Messages of `sender` every receiver got.
    func completed(by sender: Int) -> Int { Int(CLinuxShim_atomic_load_i64(completedWord(sender))) }

    /// A message of `sender`, owned by worker `owner`, reached its last receiver: counts it and
    /// wakes the owner (this worker is told through `onCompletions` directly).
    func complete(sender: Int, owner: Int) {
        _ = CLinuxShim_atomic_add_i64(completedWord(sender), 1)
        if owner == index { onCompletions?(); return }
        var one: UInt64 = 1
        _ = write(wakeups[owner], &one, 8)
    }

    /// Listens on this worker's eventfd.
    func register(on loop: EventLoop) throws {
        registration = try loop.register(descriptor: wakeups[index], interest: .read, handler: self)
    }

    func loopReadable() {
        var count: UInt64 = 0
        _ = read(wakeups[index], &count, 8)
        onCompletions?()
    }

    func loopWritable() {}
}
