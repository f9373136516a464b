// SystemdNotifier: the service manager's notification protocol (sd_notify),
// spoken directly: one datagram per state change ("READY=1", "STOPPING=1",
// "RELOADING=1", "WATCHDOG=1", "STATUS=...") to the AF_UNIX socket named by
// $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace), so
// Type=notify units need no libsystemd. Without $NOTIFY_SOCKET (not started by
// systemd) every call does nothing. `watchdogInterval` is half of
// $WATCHDOG_USEC when it is set for this process ($WATCHDOG_PID absent or
// ours): the caller pings that often from its event loop, so a stuck loop
// stops the pings and systemd restarts the service. A send that fails (the
// manager went away) is dropped: notifications are advisory. Never blocks:
// the socket is non-blocking and a full queue drops the datagram.
#if canImport(Glibc)
import Glibc
#endif
internal import CLinuxShim

public final class SystemdNotifier {
    private let address: sockaddr_un?
    private let length: socklen_t
    private var descriptor: Int32 = -1

    /// Reads $NOTIFY_SOCKET (and the watchdog variables) from the environment.
    public init(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108,
              path.hasPrefix("/") || path.hasPrefix("@") else {
            address = nil
            length = 0
            watchdogInterval = nil
            return
        }
        var un = sockaddr_un()
        un.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        withUnsafeMutableBytes(of: &un.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        address = un
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forUs, let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 {
            watchdogInterval = .microseconds(Int64(usec / 2))
        } else {
            watchdogInterval = nil
        }
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        descriptor = (try? checkedSyscall { socket(AF_UNIX, type, 0) }) ?? -1
    }

    deinit {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
    }

    /// Whether a service manager listens (NOTIFY_SOCKET was set).
    public var isActive: Bool { address != nil && descriptor >= 0 }

    /// How often to send `WATCHDOG=1` (half of what systemd allows), or nil: no watchdog.
    public let watchdogInterval: Duration?

    /// Sends `state` (newline-separated KEY=VALUE assignments). Returns whether it was sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard var target = address, descriptor >= 0 else { return false }
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                try? retryingSyscall(blockedInterest: .write) {
                    sendto(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        if case .done? = sent { return true }
        return false
    }
}
