// MetricsFormatTests: the pieces of /metrics that need no server: the
// Prometheus text format (label and HELP escaping, number spelling, histogram
// buckets cumulative with le="+Inf", _sum and _count), the HTTP answers to
// good, wrong and garbage request heads (a head fed one byte at a time has no
// end until its blank line), and the words a failed TLS handshake is counted
// under.
@testable import ChatServerKit
import ChatNet
import Testing

@Suite("Metrics text format and HTTP answers")
struct MetricsFormatTests {
    @Test("label values escape backslash, quote and newline; HELP escapes backslash and newline only")
    func escaping() {
        var out = PrometheusText()
        out.family("tlschat_x_total", .counter, help: "a \\ b\nc \"quoted\"")
        out.sample("tlschat_x_total", [("reason", "a\\b\"c\nd"), ("kind", "plain")], 3)
        #expect(out.text == """
            # HELP tlschat_x_total a \\\\ b\\nc "quoted"
            # TYPE tlschat_x_total counter
            tlschat_x_total{reason="a\\\\b\\"c\\nd",kind="plain"} 3

            """)
    }

    @Test("numbers: integers plainly, fractions as decimals, NaN and infinities as the format spells them")
    func numbers() {
        #expect(PrometheusText.number(42) == "42")
        #expect(PrometheusText.number(0.25) == "0.25")
        #expect(PrometheusText.number(1796554683.5) == "1796554683.5")
        #expect(PrometheusText.number(.nan) == "NaN")
        #expect(PrometheusText.number(.infinity) == "+Inf")
        #expect(PrometheusText.number(-.infinity) == "-Inf")
    }

    @Test("a histogram has cumulative _bucket lines in seconds ending with le=\"+Inf\", then _sum and _count")
    func histogram() {
        var histogram = BucketHistogram(upperBounds: [1_000_000, 10_000_000])
        histogram.observe(nanoseconds: 500_000)  // <= 1 ms
        histogram.observe(nanoseconds: 1_000_000)  // <= 1 ms (bounds are inclusive)
        histogram.observe(nanoseconds: 5_000_000)  // <= 10 ms
        histogram.observe(nanoseconds: 2_000_000_000)  // +Inf only
        var out = PrometheusText()
        out.histogram("tlschat_t_seconds", [("kind", "a")], histogram)
        #expect(out.text == """
            tlschat_t_seconds_bucket{kind="a",le="0.001"} 2
            tlschat_t_seconds_bucket{kind="a",le="0.01"} 3
            tlschat_t_seconds_bucket{kind="a",le="+Inf"} 4
            tlschat_t_seconds_sum{kind="a"} 2.0065
            tlschat_t_seconds_count{kind="a"} 4

            """)
    }

    @Test("a request head fed one byte at a time ends only at its blank line (CRLF CRLF or LF LF)")
    func headEndByteByByte() {
        for request in ["GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "GET /metrics HTTP/1.0\n\n"] {
            let bytes = Array(request.utf8)
            for length in 0..<bytes.count {
                #expect(MetricsHTTPRequest.headEnd(in: Array(bytes[..<length])) == nil, "ended early at \(length)")
            }
            #expect(MetricsHTTPRequest.headEnd(in: bytes) == bytes.count)
        }
    }

    private func answer(_ request: String) -> String {
        String(decoding: MetricsHTTPRequest.response(to: Array(request.utf8)) { "tlschat_up 1\n" }, as: UTF8.self)
    }

    @Test("GET /metrics gets 200 with the 0.0.4 content type and the body; HEAD the same headers without it")
    func served() {
        let get = answer("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(get.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(get.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        #expect(get.contains("Content-Length: 13\r\nConnection: close\r\n\r\ntlschat_up 1\n"))
        let head = answer("HEAD /metrics HTTP/1.0\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.hasSuffix("\r\n\r\n"))
    }

    @Test("another path is 404, another method 405 with Allow, garbage 400; none renders the metrics")
    func refused() {
        var rendered = false
        func answer(_ request: [UInt8]) -> String {
            String(decoding: MetricsHTTPRequest.response(to: request) { rendered = true; return "" }, as: UTF8.self)
        }
        #expect(answer(Array("GET / HTTP/1.1\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 404 "))
        #expect(answer(Array("GET /metricsx HTTP/1.1\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 404 "))
        let post = answer(Array("POST /metrics HTTP/1.1\r\n\r\n".utf8))
        #expect(post.hasPrefix("HTTP/1.1 405 ") && post.contains("Allow: GET, HEAD\r\n"))
        #expect(answer(Array("\u{16}\u{03}\u{01}\u{02}\u{00}\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 400 "))  // a TLS ClientHello
        #expect(answer(Array("GET /metrics\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 400 "))  // HTTP/0.9
        #expect(answer(Array("GET /metrics HTTP/2.0\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 400 "))
        #expect(answer([0xFF, 0xFE, 0x0D, 0x0A, 0x0D, 0x0A]).hasPrefix("HTTP/1.1 400 "))
        #expect(!rendered)
    }

    @Test("failed handshakes are counted under a small set of words")
    func handshakeReasons() {
        func word(_ reasons: [String], verify: String? = nil) -> String {
            HandshakeOutcome.failure(closedWith: .handshakeFailed(TLSError(operation: "handshake", reasons: reasons, verifyFailure: verify))).reason
        }
        #expect(HandshakeOutcome.failure(closedWith: .handshakeTimeout).reason == "timeout")
        #expect(HandshakeOutcome.failure(closedWith: .reset).reason == "closed")
        #expect(word(["peer did not return a certificate"]) == "no_certificate")
        #expect(word(["certificate verify failed"], verify: "certificate revoked") == "revoked")
        #expect(word(["certificate verify failed"], verify: "certificate has expired") == "expired")
        #expect(word(["certificate verify failed"], verify: "unable to get local issuer certificate") == "unknown_ca")
        #expect(word(["tlsv1 alert unknown ca"]) == "unknown_ca")
        #expect(word(["certificate verify failed"], verify: "unsuitable certificate purpose") == "bad_certificate")
        #expect(word(["http request"]) == "protocol")
        #expect(word(["wrong version number"]) == "protocol")
        #expect(word(["unexpected eof while reading"]) == "closed")
        #expect(word([]) == "other")
        let all = Set(HandshakeOutcome.failureReasons)
        #expect(all.isSuperset(of: ["timeout", "closed", "no_certificate", "revoked", "expired", "unknown_ca", "bad_certificate", "protocol", "other"]))
    }
}
