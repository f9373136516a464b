// MetricsHTTPRequest: what the metrics endpoint answers to the bytes of one
// HTTP/1.x request head, decided without any I/O so every case is testable:
// `GET /metrics` (a query string is ignored) gets 200 and the exposition,
// `HEAD /metrics` the same headers without a body, another path 404, another
// method on /metrics 405 (with `Allow: GET, HEAD`), and anything that is not
// an HTTP/1.x request line of printable ASCII 400. Every answer closes the
// connection (`Connection: close`); request headers are bounded by the caller
// (MetricsEndpoint) and otherwise ignored, and a request body is never read.
// It does not speak HTTP/2, keep-alive, chunked encoding or TLS.

enum MetricsHTTPRequest {
    /// The end of a request head: CRLF CRLF (or LF LF from a lenient client), if present.
    static func headEnd(in bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A { return index + 3 }
            }
            index += 1
        }
        return nil
    }

    /// The full response (status line, headers and, for GET, the body) to `head`.
    /// `exposition` is called only for a successful GET or HEAD.
    static func response(to head: [UInt8], exposition: () -> String) -> [UInt8] {
        let lineEnd = head.firstIndex(of: 0x0A) ?? head.count
        var line = head[..<lineEnd]
        if line.last == 0x0D { line = line.dropLast() }
        guard line.allSatisfy({ (0x20...0x7E).contains($0) }) else { return status(400, "Bad Request", "not an HTTP request\n") }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 3, words[2] == "HTTP/1.1" || words[2] == "HTTP/1.0", !words[0].isEmpty,
              words[0].allSatisfy({ $0.isUppercase && $0.isASCII }), words[1].hasPrefix("/") else {
            return status(400, "Bad Request", "expected a request line: GET /metrics HTTP/1.1\n")
        }
        let path = words[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard path == "/metrics" else { return status(404, "Not Found", "only /metrics is served here\n") }
        guard words[0] == "GET" || words[0] == "HEAD" else {
            return status(405, "Method Not Allowed", "use GET\n", extraHeaders: "Allow: GET, HEAD\r\n")
        }
        let body = Array(exposition().utf8)
        var response = Array(("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n").utf8)
        if words[0] == "GET" { response += body }
        return response
    }

    /// A short plain-text error response.
    static func status(_ code: Int, _ reason: String, _ body: String, extraHeaders: String = "") -> [UInt8] {
        Array(("HTTP/1.1 \(code) \(reason)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "\(extraHeaders)Connection: close\r\n\r\n\(body)").utf8)
    }
}
