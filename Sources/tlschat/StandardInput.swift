// StandardInput: fd 0 as a loop handler, so keystrokes or script lines and
// the server's socket are served by the one EventLoop thread.
//
// Sets O_NONBLOCK on fd 0 (restored by `stop()`) and hands every chunk read
// to `onBytes`, then `onEnd` once at end of input (or on a read error).
// epoll refuses regular files and /dev/null (EPERM); those never block, so
// they are read one chunk per loop timer instead. It does not split lines
// or interpret bytes.
#if canImport(Glibc)
import Glibc
#endif
import ChatNet

final class StandardInput: LoopHandler {
    private let loop: EventLoop
    private let onBytes: (UnsafeRawBufferPointer) -> Void
    private let onEnd: () -> Void
    private var registration: LoopRegistration?
    private var originalFlags: Int32?
    private var ended = false
    private(set) var isPaused = false
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(loop: EventLoop, onBytes: @escaping (UnsafeRawBufferPointer) -> Void, onEnd: @escaping () -> Void) {
        self.loop = loop
        self.onBytes = onBytes
        self.onEnd = onEnd
    }

    /// Starts delivering input.
    func start() throws(Errno) {
        let flags = fcntl(0, F_GETFL)
        if flags >= 0 {
            originalFlags = flags
            _ = fcntl(0, F_SETFL, flags | O_NONBLOCK)
        }
        do {
            registration = try loop.register(descriptor: 0, interest: .read, handler: self)
        } catch where error.rawValue == EPERM {
            scheduleFileRead()  // a regular file or /dev/null: cannot be polled, never blocks
        }
    }

    /// Stops delivering input and restores fd 0's flags. Safe to call twice.
    func stop() {
        ended = true
        if let registration { loop.deregister(registration) }
        registration = nil
        if let originalFlags { _ = fcntl(0, F_SETFL, originalFlags) }
        originalFlags = nil
    }

    func loopWritable() {}

    func loopReadable() {
        for _ in 0..<16 where !ended && !isPaused {  // a bounded batch per wake-up; level-triggered polling brings us back
            guard readOnce() else { return }
        }
    }

    /// Stops reading until `resume()`: backpressure when lines pile up faster than they can be sent.
    func pause() {
        guard !isPaused, !ended else { return }
        isPaused = true
        if let registration { try? loop.update(registration, interest: []) }
    }

    func resume() {
        guard isPaused, !ended else { return }
        isPaused = false
        if let registration { try? loop.update(registration, interest: .read) } else { scheduleFileRead() }
    }

    /// Reads one chunk; false when there is nothing more right now (or ever).
    private func readOnce() -> Bool {
        let count = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
        if count > 0 {
            buffer.withUnsafeBytes { onBytes(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            return true
        }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return false }
        if count < 0 && errno == EINTR { return true }
        finish()
        return false
    }

    private func scheduleFileRead() {
        loop.schedule(after: .zero) { [weak self] in
            guard let self, !self.ended, !self.isPaused else { return }
            if self.readOnce() { self.scheduleFileRead() }
        }
    }

    private func finish() {
        guard !ended else { return }
        stop()
        onEnd()
    }
}
