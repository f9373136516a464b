// TimerQueue: a binary min-heap of loop timers ordered by (deadline, sequence).
//
// Equal deadlines fire in the order they were scheduled. Cancelling a timer
// marks it and drops its action at once (releasing what the closure
// captured, so owners may capture themselves `unowned` and cancel in
// deinit); the heap drops marked entries when they reach the top, so cancel
// is O(1) and a cancelled entry costs a few bytes until its deadline.
// It does not read the clock or run anything by itself; `EventLoop` does.

/// A handle to a scheduled timer. `cancel()` is idempotent and safe from any callback.
public final class LoopTimer {
    var deadline: UInt64  // mutated only while out of the heap (re-arming)
    var sequence: UInt64
    let interval: UInt64?  // repeating timers re-arm with this period
    private(set) var action: (() -> Void)?
    public private(set) var isCancelled = false

    init(deadline: UInt64, sequence: UInt64, interval: UInt64?, action: @escaping () -> Void) {
        self.deadline = deadline
        self.sequence = sequence
        self.interval = interval
        self.action = action
    }

    /// Stops the timer; a repeating timer stops repeating.
    public func cancel() {
        isCancelled = true
        action = nil
    }

    func precedes(_ other: LoopTimer) -> Bool {
        deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
    }
}

struct TimerQueue {
    private var heap: [LoopTimer] = []

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    /// The earliest live deadline, discarding cancelled timers on top.
    mutating func nextDeadline() -> UInt64? {
        while let top = heap.first, top.isCancelled { _ = popTop() }
        return heap.first?.deadline
    }

    mutating func insert(_ timer: LoopTimer) {
        heap.append(timer)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest timer due at or before `now` (cancelled ones are skipped).
    mutating func popDue(now: UInt64) -> LoopTimer? {
        while let top = heap.first {
            if top.isCancelled { _ = popTop(); continue }
            guard top.deadline <= now else { return nil }
            return popTop()
        }
        return nil
    }

    private mutating func popTop() -> LoopTimer {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count && heap[left].precedes(heap[smallest]) { smallest = left }
                if right < heap.count && heap[right].precedes(heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
