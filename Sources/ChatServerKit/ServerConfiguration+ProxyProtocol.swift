// ServerConfiguration+ProxyProtocol: the checks and the resolved form of the
// PROXY protocol options (--proxy-protocol HOST:PORT marks a listener,
// --proxy-trusted CIDR names the load balancers that may send the header).
// A marked address must be one of the listeners' addresses as given (the same
// host and port; a port-0 address marks every listener given as it), and a
// marked listener needs at least one trusted range. It does not read headers
// (ChatServer+RelayedConnections) and opens no socket.
import ChatNet

extension ServerConfiguration {
    /// Problems with the PROXY protocol options, each naming the option and what is allowed.
    func proxyProtocolProblems() -> [String] {
        var found: [String] = []
        for text in proxyTrusted {
            do { _ = try NetworkPrefix(parsing: text) } catch { found.append("--proxy-trusted \(error)") }
        }
        guard !proxyProtocolListeners.isEmpty else {
            if !proxyTrusted.isEmpty { found.append("--proxy-trusted needs --proxy-protocol HOST:PORT (a listener that expects PROXY headers)") }
            return found
        }
        if proxyTrusted.isEmpty {
            found.append("--proxy-protocol needs --proxy-trusted CIDR: the load balancers allowed to send PROXY headers (e.g. 10.0.0.5 or 10.0.0.0/24)")
        }
        let listeners = listen + plainListen + ircListen + ircPlainListen
        for text in proxyProtocolListeners {
            guard let marked = try? SocketAddress.split(text) else {
                found.append("--proxy-protocol '\(text)' is not HOST:PORT (e.g. 0.0.0.0:2222 or [::]:2222)")
                continue
            }
            if !listeners.contains(where: { (try? SocketAddress.split($0)).map { Self.sameListener($0, marked) } ?? false }) {
                found.append("--proxy-protocol \(text) is not one of the listeners (--listen, --plain-listen, --irc-listen, "
                    + "--irc-plain-listen): \(listeners.joined(separator: ", "))")
            }
        }
        return found
    }

    private static func sameListener(_ left: (host: String, port: Int), _ right: (host: String, port: Int)) -> Bool {
        left.port == right.port && left.host.lowercased() == right.host.lowercased()
    }

    /// The trusted ranges (valid once `problems()` is empty).
    var proxyTrustedPrefixes: [NetworkPrefix] {
        proxyTrusted.compactMap { try? NetworkPrefix(parsing: $0) }
    }

    /// The addresses of the listeners marked for the PROXY protocol (resolved like the listeners).
    func proxyProtocolAddresses() throws -> [SocketAddress] {
        try proxyProtocolListeners.flatMap { try SocketAddress.resolve($0) }
    }
}
