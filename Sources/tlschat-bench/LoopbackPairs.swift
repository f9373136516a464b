// LoopbackPairs: N connected TCP pairs over 127.0.0.1 for the send floor: a
// listener of its own on port 0, then connect and accept one pair at a time.
// The accepted ("server") ends get TCP_NODELAY, like tlschatd's, and stay
// blocking; the connecting ("receiver") ends are non-blocking for the reader.
// It closes everything it opened. It never leaves loopback or measures.
#if canImport(Glibc)
import Glibc
#endif

final class LoopbackPairs {
    private(set) var senders: [Int32] = []
    private(set) var receivers: [Int32] = []

    init(count: Int) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw Self.failure("socket") }
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                guard bind(listener, generic, length) == 0, listen(listener, 128) == 0,
                      getsockname(listener, generic, &length) == 0 else { throw Self.failure("bind/listen") }
            }
        }
        do {
            for _ in 0..<count {
                let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                guard client >= 0 else { throw Self.failure("socket (after \(receivers.count) pairs)") }
                receivers.append(client)
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) }
                }
                guard connected == 0 else { throw Self.failure("connect") }
                let server = accept(listener, nil, nil)
                guard server >= 0 else { throw Self.failure("accept") }
                senders.append(server)
                var one: Int32 = 1
                setsockopt(server, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            }
        } catch {
            closeAll()
            throw error
        }
    }

    /// Closes the sending ends: each receiver then reads end-of-file.
    func closeSenders() {
        for fd in senders { close(fd) }
        senders = []
    }

    func closeAll() {
        closeSenders()
        for fd in receivers { close(fd) }
        receivers = []
    }

    private static func failure(_ what: String) -> BenchError {
        BenchError("send-floor: \(what) failed: \(String(cString: strerror(errno)))")
    }
}
