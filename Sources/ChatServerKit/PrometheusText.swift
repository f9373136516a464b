// PrometheusText: writes metrics in the Prometheus text exposition format,
// version 0.0.4 (what `GET /metrics` returns, Content-Type
// `text/plain; version=0.0.4; charset=utf-8`): one `# HELP` and one `# TYPE`
// line per family, then its samples, `name{label="value",...} number`.
// Label values escape backslash, double quote and newline (`\\`, `\"`, `\n`);
// HELP text escapes backslash and newline. Histograms are written as
// cumulative `_bucket{le="..."}` samples ending with `le="+Inf"`, then `_sum`
// and `_count`; durations are given in seconds. It only formats: the values
// come from the caller (ServerMetrics), and it checks no name against the
// format's grammar beyond what its callers (fixed names in this package) need.
import ChatNet

struct PrometheusText {
    enum Kind: String { case counter, gauge, histogram }

    private(set) var text = ""

    /// Starts a family: its HELP and TYPE lines.
    mutating func family(_ name: String, _ kind: Kind, help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// One sample of the current family.
    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + Self.number(value) + "\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Int) {
        sample(name, labels, Double(value))
    }

    /// A sample without labels.
    mutating func sample(_ name: String, _ value: Double) { sample(name, [], value) }
    mutating func sample(_ name: String, _ value: Int) { sample(name, [], Double(value)) }

    /// A histogram of durations, in seconds: buckets, sum and count.
    mutating func histogram(_ name: String, _ labels: [(String, String)], _ histogram: BucketHistogram) {
        let cumulative = histogram.cumulativeCounts
        for (index, bound) in histogram.upperBounds.enumerated() {
            sample(name + "_bucket", labels + [("le", Self.number(Double(bound) / 1e9))], cumulative[index])
        }
        sample(name + "_bucket", labels + [("le", "+Inf")], histogram.count)
        sample(name + "_sum", labels, Double(histogram.sumNanoseconds) / 1e9)
        sample(name + "_count", labels, histogram.count)
    }

    mutating func histogram(_ name: String, _ histogram: BucketHistogram) { self.histogram(name, [], histogram) }

    /// A label value with `\`, `"` and line feeds escaped.
    static func escapeLabelValue(_ value: String) -> String { escape(value, quotes: true) }

    /// HELP text with `\` and line feeds escaped (quotes stay).
    static func escapeHelp(_ help: String) -> String { escape(help, quotes: false) }

    private static func escape(_ text: String, quotes: Bool) -> String {
        var escaped = ""
        for character in text.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"" where quotes: escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// A sample value: integers without a fraction, NaN and infinities as the format spells them.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
