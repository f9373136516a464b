// LineFramerTests: the bounded line splitter, fed one byte at a time and in
// arbitrary chunks: LF and CRLF endings, empty lines, the length bound hit
// exactly and exceeded (with and without a terminator), and nothing after it;
// a bound changed between feeds (a reloaded limit) applies at once.
import ChatCore
import Testing

private func feedByteByByte(_ framer: inout LineFramer, _ text: String) -> [LineFramer.Event] {
    var events: [LineFramer.Event] = []
    for byte in Array(text.utf8) {
        events += [byte].withUnsafeBytes { framer.feed($0) }
    }
    return events
}

private func feedWhole(_ framer: inout LineFramer, _ text: String) -> [LineFramer.Event] {
    Array(text.utf8).withUnsafeBytes { framer.feed($0) }
}

private func line(_ text: String) -> LineFramer.Event { .line(Array(text.utf8)) }

@Suite("LineFramer")
struct LineFramerTests {
    @Test("lines split the same whether fed byte by byte or whole")
    func byteByByte() {
        let input = "NICK alice\r\nJOIN #x\n\nSAY hi there\r\npartial"
        var oneByte = LineFramer(), whole = LineFramer()
        let expected = [line("NICK alice"), line("JOIN #x"), line(""), line("SAY hi there")]
        #expect(feedByteByByte(&oneByte, input) == expected)
        #expect(feedWhole(&whole, input) == expected)
        #expect(oneByte.bufferedByteCount == "partial".utf8.count)
    }

    @Test("a line of exactly the maximum length is accepted, CRLF included")
    func exactlyMaximum() {
        var framer = LineFramer(maximumLineLength: 8)
        #expect(feedByteByByte(&framer, "12345678\r\n12345678\n") == [line("12345678"), line("12345678")])
    }

    @Test("one byte over the maximum is reported as too long, with or without a newline", arguments: [true, false])
    func overMaximum(terminated: Bool) {
        var framer = LineFramer(maximumLineLength: 8)
        let events = feedByteByByte(&framer, "ok\n123456789" + (terminated ? "\n" : ""))
        #expect(events == [line("ok"), .tooLong])
    }

    @Test("an endless line never holds more than the bound, and nothing follows tooLong")
    func endlessLineStaysBounded() {
        var framer = LineFramer(maximumLineLength: 64)
        var events: [LineFramer.Event] = []
        for _ in 0..<10_000 {
            events += feedWhole(&framer, "xxxxxxxxxxxxxxxx")
            #expect(framer.bufferedByteCount <= 65)
        }
        #expect(events == [.tooLong])
        #expect(feedWhole(&framer, "later\n").isEmpty)
    }

    @Test("a bound lowered between feeds (a reloaded --max-line) applies to the next bytes, the line in progress included")
    func loweredBoundAppliesAtOnce() {
        var framer = LineFramer(maximumLineLength: 64)
        #expect(feedByteByByte(&framer, "0123456789\n01234") == [line("0123456789")])
        framer.maximumLineLength = 8
        #expect(feedByteByByte(&framer, "5678\n") == [.tooLong])
        var raised = LineFramer(maximumLineLength: 4)
        raised.maximumLineLength = 10
        #expect(feedByteByByte(&raised, "0123456789\n") == [line("0123456789")])
    }
}
