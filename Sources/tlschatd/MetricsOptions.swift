// MetricsOptions: tlschatd's --metrics-listen and --allow-public-metrics
// (README "Metrics"), copied into ChatServerKit's ServerConfiguration. The
// endpoint itself (plain HTTP on the server's loop) is ChatServerKit's
// MetricsEndpoint; this file only declares the flags and their help.
import ArgumentParser
import ChatServerKit

struct MetricsOptions: ParsableArguments {
    @Option(name: .customLong("metrics-listen"), help: ArgumentHelp(
        "Serve Prometheus metrics (text format 0.0.4) at http://HOST:PORT/metrics; repeatable. Off unless given; loopback only unless --allow-public-metrics.",
        discussion: "Plain HTTP without authentication, answered from the server's own loop: one request per connection (at most 8 KiB, 5 s), at most 16 unanswered requests and 64 connections at once. Port 0 picks a free port, announced on stdout as 'listening metrics HOST PORT'."))
    var listen: [String] = []

    @Flag(name: .customLong("allow-public-metrics"), help: "Allow --metrics-listen on a non-loopback address (anyone who can reach it reads the counters).")
    var allowPublic = false

    func apply(to configuration: inout ServerConfiguration) {
        configuration.metricsListen = listen
        configuration.allowPublicMetrics = allowPublic
    }
}
