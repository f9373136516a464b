// ProbeTests: the benchmark's message marker. It is found after any prefix a
// server adds, also when an extra "@" comes first, never in a line that only
// looks like one, and every prefix of a marked line (a line arriving a byte
// at a time) either has no marker or the whole one.
@testable import tlschat_bench
import Testing

@Suite("Probe")
struct ProbeTests {
    func find(_ text: String) -> Probe? {
        Array(text.utf8).withUnsafeBytes { Probe.find(in: $0) }
    }

    @Test("the marker is found behind each dialect's prefix")
    func behindPrefixes() {
        let probe = Probe(sender: 3, sequence: 41, sentAt: 123_456_789)
        let text = probe.text(size: 64)
        #expect(text.utf8.count == 64)
        for prefix in ["", "MSG #bench user5 tls ", ":nick!u@host PRIVMSG #bench :", "<user5> "] {
            #expect(find(prefix + text) == probe)
        }
    }

    @Test("a marker right after a stray '@' is still found")
    func extraAtSign() {
        #expect(find("@@@1.2.3@@") == Probe(sender: 1, sequence: 2, sentAt: 3))
        #expect(find("a@b @@ @@7.8.9@@x") == Probe(sender: 7, sequence: 8, sentAt: 9))
    }

    @Test("near misses are not markers", arguments: ["", "@", "@@", "@@1.2@@", "@@1.2.@@", "@@1..3@@", "@@1.2.3@", "@@1.2.3", "@@a.2.3@@"])
    func nearMisses(_ text: String) {
        #expect(find(text) == nil)
    }

    @Test("fed one byte at a time, a line has no marker until its closing '@@' arrives")
    func byteByByte() {
        let line = Array("MSG #b u tls @@12.345.6789@@xxxx".utf8)
        let closes = line.count - 4  // after the closing "@@"
        for length in 0...line.count {
            let found = line[0..<length].withUnsafeBytes { Probe.find(in: $0) }
            #expect(found == (length >= closes ? Probe(sender: 12, sequence: 345, sentAt: 6789) : nil), "length \(length)")
        }
    }
}
