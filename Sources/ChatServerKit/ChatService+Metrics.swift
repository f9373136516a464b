// ChatService+Metrics: tlschatd --metrics-listen. Opens the MetricsEndpoint's
// listeners (loopback only unless allowPublicMetrics; each announced as
// "listening metrics HOST PORT") and renders the exposition at scrape time
// from what the server already keeps: the core's ChatCounters, the loop's
// LoopStatistics, ChatServer's ServerMetrics and connection table, and the
// served certificate of the current TLS context (so a reload shows at the
// next scrape). Gauges such as open connections and queued bytes are counted
// by walking the connections when scraped, so the chat path pays nothing for
// them. Nothing is reset by a scrape. Metric names and labels are listed in
// README "Metrics".
import ChatCore
import ChatNet

extension ChatService {
    func openMetricsListeners(announce: (String) -> Void) throws {
        guard !configuration.metricsListen.isEmpty else { return }
        let addresses = try configuration.metricsListen.flatMap { try SocketAddress.resolve($0) }
        if let exposed = addresses.first(where: { !$0.isLoopback }), !configuration.allowPublicMetrics {
            throw ServiceError("refusing metrics listener on non-loopback \(exposed): the endpoint has no authentication; add --allow-public-metrics if you really mean it")
        }
        let endpoint = MetricsEndpoint(loop: loop) { [unowned self] in metricsText() }
        metricsEndpoint = endpoint
        for address in addresses {
            let bound: SocketAddress
            do {
                bound = try endpoint.listen(on: address)
            } catch {
                throw ServiceError("cannot listen for metrics on \(address): \(error)")
            }
            boundMetricsAddresses.append(bound)
            announce("listening metrics \(bound.host) \(bound.port)\n")
        }
    }

    /// The whole exposition, Prometheus text format 0.0.4.
    func metricsText() -> String {
        var out = PrometheusText()
        let metrics = server.metrics
        out.family("tlschat_build_info", .gauge, help: "Always 1; the version label names the running tlschatd.")
        out.sample("tlschat_build_info", [("version", TLSChatVersion.string)], 1)
        out.family("tlschat_process_start_time_seconds", .gauge, help: "When the server started, in seconds since 1970-01-01 UTC.")
        out.sample("tlschat_process_start_time_seconds", metrics.startTime)
        writeConnections(&out, metrics)
        out.family("tlschat_tls_handshakes_total", .counter, help: "TLS handshakes (STARTTLS upgrades included) by result and failure reason.")
        for (outcome, count) in metrics.handshakes.sorted(by: { ($0.key.result, $0.key.reason) < ($1.key.result, $1.key.reason) }) {
            out.sample("tlschat_tls_handshakes_total", [("result", outcome.result), ("reason", outcome.reason)], count)
        }
        writeCommands(&out, server.core.counters)
        out.family("tlschat_disconnects_total", .counter, help: "Closed client connections by reason (the word of the log's reason= field).")
        for (reason, count) in metrics.disconnects.sorted(by: { $0.key < $1.key }) {
            out.sample("tlschat_disconnects_total", [("reason", reason)], count)
        }
        writeLoop(&out, loop.statistics)
        writeHistory(&out, metrics)
        out.family("tlschat_certificate_expiry_timestamp_seconds", .gauge, help: "notAfter of the served server certificate (updated on reload), seconds since 1970-01-01 UTC.")
        if let notAfter = tlsReloader.contexts.current.servedCertificate?.notAfterSeconds {
            out.sample("tlschat_certificate_expiry_timestamp_seconds", Double(notAfter))
        }
        out.family("tlschat_metrics_requests_total", .counter, help: "Requests to this endpoint: served, or refused (bad, oversized, slow, or over the connection limit).")
        // + 1: the scrape being answered counts itself (the endpoint counts it once this returns).
        out.sample("tlschat_metrics_requests_total", [("result", "served")], (metricsEndpoint?.scrapes ?? 0) + 1)
        out.sample("tlschat_metrics_requests_total", [("result", "refused")], metricsEndpoint?.refusedRequests ?? 0)
        return out.text
    }

    private func writeConnections(_ out: inout PrometheusText, _ metrics: ServerMetrics) {
        out.family("tlschat_connections_open", .gauge, help: "Client connections open now, by listener kind and trust (none: not greeted yet).")
        var open: [String: [String: Int]] = [:]
        var queued = 0
        server.forEachClient { client in
            let kind = ServerMetrics.listenerKind(transport: client.transport, speaksIRC: client.speaksIRC)
            open[kind, default: [:]][ServerMetrics.trustLabel(client.session?.trust), default: 0] += 1
            queued += client.connection.bufferedOutputByteCount
        }
        for kind in ["chat-tls", "chat-plain", "irc-tls", "irc-plain"] {
            for trust in ["cert", "anonymous", "plaintext", "none"] {
                if let count = open[kind]?[trust] {
                    out.sample("tlschat_connections_open", [("listener", kind), ("trust", trust)], count)
                }
            }
        }
        out.family("tlschat_connections_accepted_total", .counter, help: "Client connections accepted, by listener kind.")
        for (kind, count) in metrics.accepted.sorted(by: { $0.key < $1.key }) {
            out.sample("tlschat_connections_accepted_total", [("listener", kind)], count)
        }
        out.family("tlschat_connections_refused_total", .counter, help: "Connections closed on accept: the server or the source address was at its connection limit.")
        for (kind, count) in metrics.refused.sorted(by: { $0.key < $1.key }) {
            out.sample("tlschat_connections_refused_total", [("listener", kind)], count)
        }
        out.family("tlschat_output_queued_bytes", .gauge, help: "Bytes of output queued for clients now (all connections).")
        out.sample("tlschat_output_queued_bytes", queued)
    }

    private func writeCommands(_ out: inout PrometheusText, _ counters: ChatCounters) {
        out.family("tlschat_commands_total", .counter, help: "Commands by verb and result (ok or the ERR code); unparsed: no valid verb and arguments.")
        for verb in ChatCounters.verbs {
            for result in ChatCounters.results {
                let count = counters.commandCount(verb: verb, result: result)
                if count > 0 { out.sample("tlschat_commands_total", [("verb", verb), ("result", result)], count) }
            }
        }
        out.family("tlschat_room_messages_total", .counter, help: "Room messages accepted (SAY, MSG #room).")
        out.sample("tlschat_room_messages_total", counters.roomMessages)
        out.family("tlschat_private_messages_total", .counter, help: "Private messages accepted (MSG NAME).")
        out.sample("tlschat_private_messages_total", counters.privateMessages)
        out.family("tlschat_deliveries_total", .counter, help: "Room and private message lines queued for a recipient.")
        out.sample("tlschat_deliveries_total", counters.deliveries)
    }

    private func writeLoop(_ out: inout PrometheusText, _ statistics: LoopStatistics) {
        out.family("tlschat_received_bytes_total", .counter, help: "Application bytes read from connections (plaintext lines, after TLS; metrics requests included).")
        out.sample("tlschat_received_bytes_total", statistics.bytesRead)
        out.family("tlschat_sent_bytes_total", .counter, help: "Application bytes written to connections (plaintext lines, before TLS; metrics responses included).")
        out.sample("tlschat_sent_bytes_total", statistics.bytesWritten)
        out.family("tlschat_output_queue_high_water_bytes", .gauge, help: "The most output one connection had queued when it was flushed, since start.")
        out.sample("tlschat_output_queue_high_water_bytes", statistics.largestQueuedOutput)
        out.family("tlschat_loop_iteration_seconds", .histogram, help: "Time one event-loop iteration worked (the wait excluded).")
        out.histogram("tlschat_loop_iteration_seconds", statistics.iterationTimes)
    }

    private func writeHistory(_ out: inout PrometheusText, _ metrics: ServerMetrics) {
        out.family("tlschat_history_commit_seconds", .histogram, help: "Time from handing a batch of messages to the history store to its completion.")
        out.histogram("tlschat_history_commit_seconds", metrics.historyCommitTimes)
        out.family("tlschat_history_commit_failures_total", .counter, help: "History batches the store failed to store (messages delivered, senders told unstored).")
        out.sample("tlschat_history_commit_failures_total", metrics.historyCommitFailures)
    }
}
