// ServerMetrics: the counters only the server assembly can see, kept as plain
// integers on the loop thread: connections accepted and refused per listener
// kind, TLS handshakes by result and failure reason, disconnects by reason
// (the same word the log's `reason=` field uses), and history commit times
// and failures. ChatServer, ClientConnection and HistoryKeeper bump them;
// ChatService+Metrics renders them with the core's ChatCounters and the
// loop's LoopStatistics when /metrics is scraped.
//
// Why not swift-metrics 2.13 / swift-prometheus 2.4 (decided from their
// source, not measured here): both are built for many threads. swift-metrics
// puts every counter behind a class and a handler protocol made by a
// process-wide factory; swift-prometheus 2.x's Counter is an atomic
// read-modify-write per increment, its Histogram takes a lock per observation,
// and labelled metrics are made through its registry under a lock. The loop
// would pay that on the one thread that serves every socket (per message, and
// per iteration for the loop histogram), for thread safety this server does
// not need, and the package would gain swift-metrics, swift-atomics and the
// Prometheus package as dependencies. Plain Int fields cost one add; the text
// format is about eighty lines (PrometheusText). Nothing here allocates per
// event except the first time a new label value appears (the label sets are
// bounded: fixed listener kinds, reasons and verbs).
import ChatCore
import ChatNet

final class ServerMetrics {
    /// Sockets taken into service, by listener kind (`chat-tls`, `chat-plain`, `irc-tls`, `irc-plain`).
    var accepted: [String: Int] = [:]
    /// Sockets closed at once because the server or the source address was at its limit.
    var refused: [String: Int] = [:]
    /// TLS handshakes by (result, reason): ("success", "none") or ("failure", reason).
    var handshakes: [HandshakeOutcome: Int] = [:]
    /// Closed connections by reason (LogFields.disconnectReason).
    var disconnects: [String: Int] = [:]
    /// History batches: time from handing a batch to the store to its completion.
    var historyCommitTimes = BucketHistogram.latency()
    var historyCommitFailures = 0
    /// Wall-clock start of the process's service, seconds since 1970.
    let startTime: Double

    init(startTime: Double) { self.startTime = startTime }

    /// The listener kind of a connection, as the metrics label it.
    static func listenerKind(transport: Transport, speaksIRC: Bool) -> String {
        (speaksIRC ? "irc-" : "chat-") + (transport == .tls ? "tls" : "plain")
    }

    /// A session's trust as the metrics label it (`none`: no session yet).
    static func trustLabel(_ trust: Trust?) -> String {
        switch trust {
        case .cert: "cert"
        case .tls: "anonymous"
        case .plain: "plaintext"
        case nil: "none"
        }
    }
}

/// How one TLS handshake ended: success, or a failure reason (a bounded set of words).
struct HandshakeOutcome: Hashable {
    let result: String
    let reason: String

    static let success = HandshakeOutcome(result: "success", reason: "none")
    static func failure(_ reason: String) -> HandshakeOutcome { HandshakeOutcome(result: "failure", reason: reason) }

    /// Every failure reason `failure(closedWith:)` can give, for the documentation and tests.
    static let failureReasons = ["timeout", "no_certificate", "revoked", "expired", "unknown_ca", "bad_certificate",
                                 "closed", "protocol", "other"]

    /// Why a connection that never finished its handshake failed, from how it closed.
    static func failure(closedWith reason: CloseReason) -> HandshakeOutcome {
        switch reason {
        case .handshakeTimeout: return failure("timeout")
        case .handshakeFailed(let error): return failure(classify(error))
        case .peerClosed, .eofWithoutCloseNotify, .reset: return failure("closed")
        default: return failure("other")
        }
    }

    /// One word for a handshake's TLSError, from OpenSSL's reasons and the verify result.
    static func classify(_ error: TLSError) -> String {
        let verify = error.verifyFailure?.lowercased() ?? ""
        let reasons = error.reasons.joined(separator: "; ").lowercased()
        if verify.contains("revoked") || reasons.contains("revoked") { return "revoked" }
        if verify.contains("expired") || verify.contains("not yet valid") { return "expired" }
        if reasons.contains("did not return a certificate") || reasons.contains("sent no certificate") { return "no_certificate" }
        if verify.contains("issuer") || verify.contains("self-signed") || verify.contains("self signed")
            || reasons.contains("unknown ca") { return "unknown_ca" }
        if !verify.isEmpty || reasons.contains("certificate") { return "bad_certificate" }
        if reasons.contains("unexpected eof") { return "closed" }
        return reasons.isEmpty ? "other" : "protocol"
    }
}
