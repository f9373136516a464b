// SignalWatcher: delivers POSIX signals (e.g. SIGTERM, SIGINT) as ordinary
// loop callbacks through signalfd, so shutdown logic runs on the loop thread
// with no async-signal-safety concerns. It blocks those signals for the
// calling thread; create it on the loop thread before starting other threads.
#if canImport(Glibc)
import Glibc
#endif
internal import CLinuxShim

public final class SignalWatcher: LoopHandler {
    private let loop: EventLoop
    private var descriptor: Int32
    private var registration: LoopRegistration?
    private let onSignal: (Int32) -> Void

    public init(loop: EventLoop, signals: [Int32], onSignal: @escaping (Int32) -> Void) throws(Errno) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        let status = pthread_sigmask(SIG_BLOCK, &set, nil)
        if status != 0 { throw Errno(rawValue: status) }
        self.loop = loop
        self.onSignal = onSignal
        descriptor = try checkedSyscall { signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }
        do {
            registration = try loop.register(descriptor: descriptor, interest: .read, handler: self)
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
    }

    public func loopWritable() {}

    public func loopReadable() {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        while case .done(let count)? = try? retryingSyscall({ Glibc.read(descriptor, &info, size) }), count == size {
            onSignal(Int32(info.ssi_signo))
        }
    }

    /// Stops watching. Safe to call twice. The signals stay blocked.
    public func close() {
        if let registration { loop.deregister(registration) }
        registration = nil
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }
}
