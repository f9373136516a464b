// ServerEndpoint: the server tlschat connects to, from its HOST argument and
// its --port option.
//
// The argument may carry the port, as `tlschat --listen`-style addresses do:
// `host:PORT`, `127.0.0.1:PORT`, `[::1]:PORT`; a bare IPv6 address (`::1`,
// more than one colon) or a bracketed one (`[::1]`) has none. A port in the
// argument and a different --port is an error naming both, never a silent
// choice. It does not resolve names and does not choose the name the server
// certificate is checked against (that is the host, or --server-name). Pure.

public struct ServerEndpoint: Equatable, Sendable {
    /// The host without brackets: a DNS name or an IP literal.
    public let host: String
    public let port: Int

    public static let defaultPort = 2222

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// A HOST argument or --port value that cannot be used; `description` says why.
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Reads `argument` (HOST, HOST:PORT, [IPv6] or [IPv6]:PORT) and the --port option (nil: not given).
    public static func parse(_ argument: String, port option: Int?) throws(Problem) -> ServerEndpoint {
        if let option, !(1...65535).contains(option) { throw Problem(description: "--port must be 1...65535") }
        var host = argument
        var portText: Substring?
        if argument.hasPrefix("[") {
            guard let close = argument.firstIndex(of: "]") else {
                throw Problem(description: "HOST '\(argument)' opens '[' without closing it: write [IPv6] or [IPv6]:PORT")
            }
            host = String(argument[argument.index(after: argument.startIndex)..<close])
            let rest = argument[argument.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw Problem(description: "HOST '\(argument)': after ']' only :PORT may follow") }
                portText = rest.dropFirst()
            }
        } else if argument.filter({ $0 == ":" }).count == 1, let colon = argument.firstIndex(of: ":") {
            host = String(argument[..<colon])
            portText = argument[argument.index(after: colon)...]
        }
        guard !host.isEmpty else { throw Problem(description: "HOST must not be empty") }
        guard let portText else { return ServerEndpoint(host: host, port: option ?? defaultPort) }
        guard !portText.isEmpty, portText.allSatisfy({ ("0"..."9").contains($0) }), let port = Int(portText), (1...65535).contains(port) else {
            throw Problem(description: "the port in '\(argument)' must be a number 1...65535")
        }
        if let option, option != port {
            throw Problem(description: "two different ports: '\(argument)' says \(port) but --port says \(option); give the port once")
        }
        return ServerEndpoint(host: host, port: port)
    }
}
