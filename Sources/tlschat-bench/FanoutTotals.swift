// FanoutTotals: a fan-out's results as numbers: counts, the delivery checks,
// the CPU figures (LoadFigures) and the latency histogram. One generator
// process fills one in; with `--workers` each worker sends its own to the
// parent as JSON and `merged` adds them up (counts and CPU summed, latency
// histograms added, the longest window taken as the wall time). `report`
// turns them into the Report every fan-out prints and decides `verified`:
// nothing lost, duplicated, reordered or disconnected, and deliveries_total =
// (messages_total - rate_limited) x (clients - 1). It measures nothing.
import Foundation
import Histogram

struct FanoutTotals: Codable {
    var negotiated = "plain"
    var load = LoadFigures(wallSeconds: 0, generatorCPUSeconds: 0, generatorCores: 0, serverCPUSeconds: nil)
    /// Messages sent in the measured window, and in all (warm-up and drain included).
    var messages = 0, messagesTotal = 0
    /// Deliveries in the measured window, and in all.
    var deliveries = 0, deliveriesTotal = 0
    /// Receiver-deliveries never made (refused messages included).
    var undelivered = 0
    var rateLimited = 0, duplicated = 0, reordered = 0, disconnected = 0, echoes = 0, unknown = 0
    var latency = LatencyCounts.emptyHDR()

    /// The sum of several workers' totals; `cores`: the cores they could keep busy together.
    static func merged(_ parts: [FanoutTotals], cores: Int) -> FanoutTotals {
        var total = FanoutTotals()
        total.negotiated = parts.first?.negotiated ?? "plain"
        total.load.generatorCores = cores
        for part in parts {
            total.load.wallSeconds = max(total.load.wallSeconds, part.load.wallSeconds)
            total.load.generatorCPUSeconds += part.load.generatorCPUSeconds
            if let server = part.load.serverCPUSeconds { total.load.serverCPUSeconds = server }  // worker 0 measures it
            total.messages += part.messages
            total.messagesTotal += part.messagesTotal
            total.deliveries += part.deliveries
            total.deliveriesTotal += part.deliveriesTotal
            total.undelivered += part.undelivered
            total.rateLimited += part.rateLimited
            total.duplicated += part.duplicated
            total.reordered += part.reordered
            total.disconnected += part.disconnected
            total.echoes += part.echoes
            total.unknown += part.unknown
            total.latency.add(part.latency)
        }
        return total
    }

    /// What the run was asked for, beside the totals in the report.
    struct Setup {
        let dialect: String, transport: String, clients: Int, senders: Int, mode: String, payload: Int
        var offeredRate: Int?
        var workers = 1
    }

    /// A message refused for the rate was delivered to nobody, so it is not lost.
    func lost(clients: Int) -> Int { undelivered - rateLimited * (clients - 1) }

    func verified(clients: Int) -> Bool {
        lost(clients: clients) == 0 && duplicated == 0 && reordered == 0 && disconnected == 0 && rateLimited == 0
            && deliveriesTotal == (messagesTotal - rateLimited) * (clients - 1)
    }

    func report(_ setup: Setup) -> Report {
        let wall = load.wallSeconds
        var report = Report()
        report.add("scenario", "fanout")
        report.add("dialect", setup.dialect)
        report.add("transport", setup.transport)
        report.add("negotiated", negotiated)
        report.add("clients", setup.clients)
        report.add("senders", setup.senders)
        report.add("mode", setup.mode)
        report.add("workers", setup.workers)
        report.add("payload_bytes", setup.payload)
        report.add("seconds", wall)
        report.add("messages", messages)
        report.add("messages_total", messagesTotal)  // warm-up and drain included
        report.add("deliveries", deliveries)
        report.add("deliveries_total", deliveriesTotal)  // = (messages_total - rate_limited) x (clients - 1) when verified
        report.add("deliveries_per_second", wall > 0 ? Double(deliveries) / wall : nil)
        if let rate = setup.offeredRate { report.add("offered_deliveries_per_second", Double(rate * (setup.clients - 1))) }
        load.add(to: &report)
        report.add("deliveries_per_server_cpu_second",
                   load.serverCPUSeconds.flatMap { $0 > 0 ? Double(deliveries) / $0 : nil })
        report.add("deliveries_per_generator_cpu_second",
                   load.generatorCPUSeconds > 0 ? Double(deliveries) / load.generatorCPUSeconds : nil)
        var percentiles = Report()
        for (name, percentile) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p999", 99.9)] {
            percentiles.add(name, Int(latency.valueAtPercentile(percentile)))
        }
        percentiles.add("max", Int(latency.max))
        report.add("latency_us", .nested(percentiles))
        report.add("lost", lost(clients: setup.clients))
        report.add("rate_limited", rateLimited)
        report.add("duplicated", duplicated)
        report.add("reordered", reordered)
        report.add("disconnected", disconnected)
        report.add("echoed_to_sender", echoes)
        report.add("unknown_markers", unknown)
        report.add("verified", .bool(verified(clients: setup.clients)))
        return report
    }

    func json() throws -> Data { try JSONEncoder().encode(self) }
    static func decode(_ data: Data) throws -> FanoutTotals { try JSONDecoder().decode(FanoutTotals.self, from: data) }
}
