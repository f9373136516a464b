// LineEditorTests: keystrokes fed one byte at a time (as a terminal may
// deliver them) edit the line correctly: split UTF-8 and split escape
// sequences, cursor moves, word deletion, history with the draft kept.
import ChatClient
import Testing

/// Feeds `bytes` one byte at a time through a decoder into `editor`; returns the outcomes.
@discardableResult
func typeBytewise(_ bytes: [UInt8], into editor: inout LineEditor, decoder: inout KeyDecoder) -> [EditorOutcome] {
    var outcomes: [EditorOutcome] = []
    for byte in bytes {
        for key in decoder.feed([byte]) { outcomes.append(editor.apply(key)) }
    }
    return outcomes
}

@discardableResult
func typeBytewise(_ text: String, into editor: inout LineEditor, decoder: inout KeyDecoder) -> [EditorOutcome] {
    typeBytewise(Array(text.utf8), into: &editor, decoder: &decoder)
}

@Suite("Line editor and key decoding")
struct LineEditorTests {
    @Test("UTF-8 split across reads, one byte at a time, inserts whole characters")
    func utf8OneByteAtATime() {
        var editor = LineEditor(), decoder = KeyDecoder()
        typeBytewise("héllo 世界 👋", into: &editor, decoder: &decoder)
        #expect(editor.text == "héllo 世界 👋")
        #expect(editor.cursor == 10)
        typeBytewise([0x7F, 0x7F], into: &editor, decoder: &decoder)  // backspace removes whole characters
        #expect(editor.text == "héllo 世界")
    }

    @Test("a combining mark joins the character before it; backspace removes both")
    func combiningMark() {
        var editor = LineEditor(), decoder = KeyDecoder()
        typeBytewise("cafe\u{301}", into: &editor, decoder: &decoder)
        #expect(editor.characters.count == 4)
        #expect(editor.cursor == 4)
        typeBytewise([0x7F], into: &editor, decoder: &decoder)
        #expect(editor.text == "caf")
    }

    @Test("escape sequences split byte by byte: arrows, Home/End, Delete; insertion in the middle")
    func cursorMovement() {
        var editor = LineEditor(), decoder = KeyDecoder()
        typeBytewise("helo", into: &editor, decoder: &decoder)
        typeBytewise([0x1B, 0x5B, 0x44], into: &editor, decoder: &decoder)      // Left
        typeBytewise("l", into: &editor, decoder: &decoder)
        #expect(editor.text == "hello")
        #expect(editor.cursor == 4)
        typeBytewise(Array("\u{1B}[H".utf8), into: &editor, decoder: &decoder)  // Home
        typeBytewise(Array("\u{1B}[3~".utf8), into: &editor, decoder: &decoder) // Delete
        #expect(editor.text == "ello")
        #expect(editor.cursor == 0)
        typeBytewise(Array("\u{1B}OF".utf8), into: &editor, decoder: &decoder)  // End (SS3 form)
        #expect(editor.cursor == 4)
        typeBytewise([0x01], into: &editor, decoder: &decoder)                  // Ctrl-A
        #expect(editor.cursor == 0)
        typeBytewise(Array("\u{1B}[C\u{1B}[1;5C".utf8), into: &editor, decoder: &decoder)  // Right, Ctrl-Right
        #expect(editor.cursor == 4)
        #expect(editor.apply(.left) == .edited)
        #expect(editor.apply(.home) == .edited)
        #expect(editor.apply(.left) == .ignored)
    }

    @Test("Ctrl-U clears, Ctrl-W deletes the word before the cursor, Ctrl-K deletes to the end")
    func killKeys() {
        var editor = LineEditor(), decoder = KeyDecoder()
        typeBytewise("one two  three", into: &editor, decoder: &decoder)
        typeBytewise([0x17], into: &editor, decoder: &decoder)
        #expect(editor.text == "one two  ")
        typeBytewise([0x17], into: &editor, decoder: &decoder)
        #expect(editor.text == "one ")
        typeBytewise("x y", into: &editor, decoder: &decoder)
        _ = editor.apply(.wordLeft)
        _ = editor.apply(.wordLeft)
        #expect(editor.cursor == 4)
        typeBytewise([0x0B], into: &editor, decoder: &decoder)
        #expect(editor.text == "one ")
        typeBytewise([0x15], into: &editor, decoder: &decoder)
        #expect(editor.text.isEmpty)
        #expect(editor.cursor == 0)
    }

    @Test("Enter submits and clears; CR and LF both count; Ctrl-D ends input only on an empty line")
    func submitAndEndOfInput() {
        var editor = LineEditor(), decoder = KeyDecoder()
        #expect(typeBytewise("hi\r", into: &editor, decoder: &decoder).last == .submitted("hi"))
        #expect(editor.text.isEmpty)
        #expect(typeBytewise("yo\n", into: &editor, decoder: &decoder).last == .submitted("yo"))
        typeBytewise("ab", into: &editor, decoder: &decoder)
        _ = editor.apply(.home)
        #expect(typeBytewise([0x04], into: &editor, decoder: &decoder) == [.edited])  // deletes "a"
        #expect(editor.text == "b")
        _ = editor.apply(.clearLine)
        #expect(typeBytewise([0x04], into: &editor, decoder: &decoder) == [.endOfInput])
        #expect(typeBytewise([0x03], into: &editor, decoder: &decoder) == [.interrupt])
    }

    @Test("history: Up/Down walk earlier lines and bring the unfinished draft back")
    func history() {
        var editor = LineEditor(), decoder = KeyDecoder()
        typeBytewise("first\rsecond\rdraft", into: &editor, decoder: &decoder)
        typeBytewise(Array("\u{1B}[A".utf8), into: &editor, decoder: &decoder)
        #expect(editor.text == "second")
        typeBytewise(Array("\u{1B}[A\u{1B}[A".utf8), into: &editor, decoder: &decoder)
        #expect(editor.text == "first")
        typeBytewise(Array("\u{1B}[B\u{1B}[B".utf8), into: &editor, decoder: &decoder)
        #expect(editor.text == "draft")
        #expect(editor.cursor == 5)
    }

    @Test("control bytes, invalid UTF-8 and unknown escape sequences never reach the text")
    func garbageIsDropped() {
        var editor = LineEditor(), decoder = KeyDecoder()
        typeBytewise([0x61, 0x09, 0xFF, 0xC3, 0x41, 0x1B, 0x5B, 0x32, 0x30, 0x30, 0x7E, 0x62, 0x1B, 0x5B, 0x35, 0x7A, 0x63],
                     into: &editor, decoder: &decoder)
        #expect(editor.text == "aAbc")
    }

    @Test("input stops growing at the byte limit, and the key says so (.full) instead of vanishing")
    func byteLimit() {
        var editor = LineEditor(maximumBytes: 5)
        for scalar in "abcdef".unicodeScalars { _ = editor.apply(.insert(scalar)) }
        #expect(editor.text == "abcde")
        #expect(editor.apply(.insert("é")) == .full)
        _ = editor.apply(.backspace)
        #expect(editor.apply(.insert("é")) == .full, "é is two bytes: 4 + 2 > 5")
        #expect(editor.apply(.insert("e")) == .edited)
    }

    @Test("the default input holds 64 KiB (many server lines: long text is split when sent); a paste of it stays fast")
    func longInput() {
        var editor = LineEditor(), decoder = KeyDecoder()
        let long = String(repeating: "wörd ", count: LineEditor.defaultMaximumBytes / 6)
        let outcomes = typeBytewise(long, into: &editor, decoder: &decoder)
        #expect(editor.text == long)
        #expect(!outcomes.contains(.full))
    }

    @Test("Ctrl-C's abandonLine clears the line but keeps it in the history; Tab is never inserted")
    func abandonAndTab() {
        var editor = LineEditor(), decoder = KeyDecoder()
        typeBytewise("draft\t", into: &editor, decoder: &decoder)
        #expect(editor.text == "draft")
        let cleared = editor.abandonLine()
        #expect(cleared && editor.text.isEmpty)
        let clearedAgain = editor.abandonLine()
        #expect(!clearedAgain, "nothing to clear")
        _ = editor.apply(.historyUp)
        #expect(editor.text == "draft")
    }
}
