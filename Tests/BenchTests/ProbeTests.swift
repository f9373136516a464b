// ProbeTests: the benchmark's message marker and the line that carries it.
// The marker ends the text and is read backwards from the line's end behind
// any prefix a server adds; a line where something follows it is still
// searched from the front; near misses are no markers; every prefix of a
// marked line (a line arriving a byte at a time) either has no marker or the
// whole one; and the line builder keeps the size, prefix and padding right
// when markers get shorter or longer than the text.
@testable import tlschat_bench
import Testing

@Suite("Probe")
struct ProbeTests {
    func find(_ text: String) -> Probe? {
        Array(text.utf8).withUnsafeBytes { Probe.find(in: $0) }
    }

    @Test("the marker is found behind each dialect's prefix")
    func behindPrefixes() {
        let probe = Probe(sender: 3, sequence: 41)
        let text = probe.text(size: 64)
        #expect(text.utf8.count == 64)
        #expect(text.hasSuffix("x@@3.41@@"))
        for prefix in ["", "MSG #bench user5 tls ", ":nick!u@host PRIVMSG #bench :", "<user5> "] {
            #expect(find(prefix + text) == probe)
        }
    }

    @Test("a marker followed by other text, or right after a stray '@', is still found")
    func searchedFromTheFront() {
        #expect(find("@@@1.2@@") == Probe(sender: 1, sequence: 2))
        #expect(find("a@b @@ @@7.8@@x") == Probe(sender: 7, sequence: 8))
        #expect(find("@@7.8@@ and more") == Probe(sender: 7, sequence: 8))
    }

    @Test("near misses are not markers",
          arguments: ["", "@", "@@", "@@1@@", "@@1.@@", "@@.2@@", "@@1..3@@", "@@1.2@", "@@1.2", "@@a.2@@", "@1.2@@", "x1.2@@"])
    func nearMisses(_ text: String) {
        #expect(find(text) == nil)
    }

    @Test("fed one byte at a time, a line has no marker until its closing '@@' arrives")
    func byteByByte() {
        let line = Array("MSG #b u tls xxxx@@12.345@@".utf8)
        for length in 0...line.count {
            let found = line[0..<length].withUnsafeBytes { Probe.find(in: $0) }
            #expect(found == (length == line.count ? Probe(sender: 12, sequence: 345) : nil), "length \(length)")
        }
    }

    @Test("the line builder: prefix, padding to the size, marker, newline; shorter and longer markers")
    func lineBuilder() {
        var line = ProbeLine(prefix: Array("SAY ".utf8), size: 12)
        func build(_ sender: Int, _ sequence: Int) -> String {
            line.withLine(for: Probe(sender: sender, sequence: sequence)) { String(decoding: $0, as: UTF8.self) }
        }
        #expect(build(1, 2345) == "SAY xx@@1.2345@@\n")
        #expect(build(1, 2) == "SAY xxxxx@@1.2@@\n")  // the longer marker's digits are padding again
        #expect(build(123, 4_567_890) == "SAY @@123.4567890@@\n")  // longer than the size: the text grows
        #expect(build(1, 2) == "SAY xxxxx@@1.2@@\n")
        for sequence in [0, 9, 10, 99_999] {
            let text = build(7, sequence)
            #expect(Array(text.utf8).withUnsafeBytes { Probe.find(in: UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
                    == Probe(sender: 7, sequence: sequence))
        }
    }
}
