// NATSServerURL: one server address the client may connect to, parsed from
// "nats://[user:password@|token@]host[:port]" or "tls://..." (TLS required),
// or a bare "host:port" as servers advertise in INFO connect_urls.
//
// Only parses and prints; resolving the host happens when connecting. IPv6
// literals go in brackets ("nats://[::1]:4222"). Credentials in a URL apply
// to that server only and override the client's options for it.

public struct NATSServerURL: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// "tls://" was given: never talk to this server without TLS.
    public var requiresTLS: Bool
    public var user: String?
    public var password: String?
    public var token: String?
    /// Learned from a server's INFO, not configured (for logs only).
    public var isDiscovered = false

    public static let defaultPort = 4222

    public init(host: String, port: Int = NATSServerURL.defaultPort, requiresTLS: Bool = false) {
        self.host = host
        self.port = port
        self.requiresTLS = requiresTLS
    }

    /// "nats://host:port" or "tls://host:port", credentials left out (safe for logs).
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(requiresTLS ? "tls" : "nats")://\(shownHost):\(port)"
    }

    /// "host:port" as `SocketAddress.resolve` expects it.
    var hostAndPort: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses one URL; a missing scheme means nats://, a missing port 4222.
    public static func parse(_ text: String) throws(NATSError) -> NATSServerURL {
        var rest = Substring(text)
        var requiresTLS = false
        if let range = rest.range(of: "://") {
            switch rest[..<range.lowerBound].lowercased() {
            case "nats": break
            case "tls": requiresTLS = true
            default: throw .invalidURL("'\(text)': the scheme must be nats:// or tls://")
            }
            rest = rest[range.upperBound...]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        var url = NATSServerURL(host: "", requiresTLS: requiresTLS)
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                url.user = String(credentials[..<colon])
                url.password = String(credentials[credentials.index(after: colon)...])
            } else {
                url.token = String(credentials)
            }
        }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidURL("'\(text)': unclosed '[' in the host") }
            url.host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            if !rest.isEmpty && !rest.hasPrefix(":") { throw .invalidURL("'\(text)': expected ':PORT' after the IPv6 address") }
        } else {
            let colon = rest.firstIndex(of: ":") ?? rest.endIndex
            url.host = String(rest[..<colon])
            rest = rest[colon...]
        }
        if rest.hasPrefix(":") {
            guard let port = Int(rest.dropFirst()), (1...65535).contains(port) else {
                throw .invalidURL("'\(text)': the port must be a number from 1 to 65535")
            }
            url.port = port
        }
        guard !url.host.isEmpty, !url.host.contains(where: { $0 == " " || $0 == "/" }) else {
            throw .invalidURL("'\(text)': no host, or a host with spaces or '/'")
        }
        return url
    }
}
