// FanoutRun+Report: the fan-out's results as a Report: counts, rates,
// latency percentiles, the generator's and the server's CPU (LoadAccount),
// and the delivery checks (lost, duplicated, reordered, and the total: every
// message reached every other client once). It decides `verified`; it does
// not measure anything.

extension FanoutRun {
    func makeReport(_ account: LoadAccount) -> Report {
        let undelivered = ledger.undelivered
        let lost = undelivered - rateLimited * (clientCount - 1)  // a refused message was delivered to nobody
        let messagesTotal = ledger.messagesSent
        let expectedTotal = (messagesTotal - rateLimited) * (clientCount - 1)
        verified = lost == 0 && ledger.duplicated == 0 && ledger.reordered == 0 && pool.closedAfterReady == 0 && rateLimited == 0
            && allDeliveries == expectedTotal
        let wall = account.wallSeconds
        var report = Report()
        report.add("scenario", "fanout")
        report.add("dialect", target.dialect.rawValue)
        report.add("transport", target.tlsContext == nil ? "plain" : "tls")
        report.add("negotiated", pool.negotiated)
        report.add("clients", clientCount)
        report.add("senders", senderCount)
        report.add("mode", offeredRate.map { "rate \($0) msg/s" } ?? "window \(window)")
        report.add("payload_bytes", options.payload)
        report.add("seconds", wall)
        report.add("messages", measuredMessages)
        report.add("messages_total", messagesTotal)  // warm-up and drain included
        report.add("deliveries", measuredDeliveries)
        report.add("deliveries_total", allDeliveries)  // = (messages_total - rate_limited) x (clients - 1) when verified
        report.add("deliveries_per_second", Double(measuredDeliveries) / wall)
        if let rate = offeredRate { report.add("offered_deliveries_per_second", Double(rate * (clientCount - 1))) }
        account.add(to: &report)
        report.add("deliveries_per_server_cpu_second",
                   account.serverCPUSeconds.flatMap { $0 > 0 ? Double(measuredDeliveries) / $0 : nil })
        report.add("deliveries_per_generator_cpu_second",
                   account.generatorCPUSeconds > 0 ? Double(measuredDeliveries) / account.generatorCPUSeconds : nil)
        let histogram = latency.histogram()
        var percentiles = Report()
        for (name, percentile) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p999", 99.9)] {
            percentiles.add(name, Int(histogram.valueAtPercentile(percentile)))
        }
        percentiles.add("max", Int(histogram.max))
        report.add("latency_us", .nested(percentiles))
        report.add("lost", lost)
        report.add("rate_limited", rateLimited)
        report.add("duplicated", ledger.duplicated)
        report.add("reordered", ledger.reordered)
        report.add("disconnected", pool.closedAfterReady)
        report.add("echoed_to_sender", ledger.echoes)
        report.add("unknown_markers", ledger.unknown)
        report.add("verified", .bool(verified))
        return report
    }
}
