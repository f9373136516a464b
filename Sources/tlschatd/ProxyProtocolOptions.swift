// ProxyProtocolOptions: tlschatd's PROXY protocol flags (README "Behind a
// load balancer"), copied into ChatServerKit's ServerConfiguration, which
// checks them (ServerConfiguration+ProxyProtocol). No logic here.
import ArgumentParser
import ChatServerKit

struct ProxyProtocolOptions: ParsableArguments {
    @Option(name: .customLong("proxy-protocol"), help: ArgumentHelp(
        "A listener (HOST:PORT exactly as given to --listen, --plain-listen, --irc-listen or --irc-plain-listen) whose connections come from a TCP load balancer and begin with a PROXY protocol v2 header; repeatable.",
        discussion: "Before the TLS handshake (or the greeting) the server reads the binary v2 header within --handshake-timeout and uses the client address it carries for --max-clients-per-address and the logs (a LOCAL header, a health check, keeps the balancer's address). Connections from addresses not in --proxy-trusted, and version 1 (text), malformed, oversized (over 552 bytes) or late headers are closed with one log line. Needs --proxy-trusted."))
    var listeners: [String] = []

    @Option(name: .customLong("proxy-trusted"), help: "A load balancer allowed to send PROXY headers: an IPv4 or IPv6 address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/24, 2001:db8::/64); repeatable.")
    var trusted: [String] = []

    func apply(to configuration: inout ServerConfiguration) {
        configuration.proxyProtocolListeners = listeners
        configuration.proxyTrusted = trusted
    }
}
