// TerminalRendererTests: incoming lines are printed above the input line,
// which is redrawn with the cursor where it was; long input scrolls instead
// of wrapping; nothing unsafe reaches the terminal.
import ChatClient
import Testing

@Suite("Terminal rendering")
struct TerminalRendererTests {
    func editor(_ text: String, cursor: Int) -> LineEditor {
        var editor = LineEditor()
        for scalar in text.unicodeScalars { _ = editor.apply(.insert(scalar)) }
        for _ in 0..<(text.count - cursor) { _ = editor.apply(.left) }
        return editor
    }

    @Test("an incoming line erases the input line, prints, then redraws prompt, input and cursor")
    func printAboveKeepsInput() {
        let renderer = TerminalRenderer(columns: 80)
        let output = renderer.printAbove(["[12:00:00] #lobby <bob✔> hi"], prompt: "alice@#lobby> ", editor: editor("hello world", cursor: 5))
        #expect(output == "\r\u{1B}[K[12:00:00] #lobby <bob✔> hi\r\n\r\u{1B}[Kalice@#lobby> hello world\u{1B}[6D")
    }

    @Test("cursor at the end: no cursor movement; wide characters count two columns")
    func cursorColumns() {
        let renderer = TerminalRenderer(columns: 80)
        #expect(renderer.inputLine(prompt: "> ", editor: editor("abc", cursor: 3)) == "\r\u{1B}[K> abc")
        #expect(renderer.inputLine(prompt: "> ", editor: editor("世界x", cursor: 1)) == "\r\u{1B}[K> 世界x\u{1B}[3D")
    }

    @Test("input wider than the terminal scrolls so the cursor stays visible and the line never wraps")
    func horizontalScroll() {
        let renderer = TerminalRenderer(columns: 20)
        let text = String(repeating: "abcdefghij", count: 5)
        let output = renderer.inputLine(prompt: "me> ", editor: editor(text, cursor: 50))
        let visible = output.dropFirst(TerminalRenderer.eraseLine.count)
        #expect(visible.count <= 19)
        #expect(visible.hasPrefix("me> "))
        #expect(visible.hasSuffix("hij"))
        let atStart = renderer.inputLine(prompt: "me> ", editor: editor(text, cursor: 0))
        #expect(atStart.hasPrefix(TerminalRenderer.eraseLine + "me> abcdefghijabcde"))
    }

    @Test("escape sequences in printed lines are neutralised")
    func sanitizedOutput() {
        let output = TerminalRenderer(columns: 80).printAbove(["evil\u{1B}[2J\u{202E}text"], prompt: "> ", editor: LineEditor())
        #expect(!output.contains("\u{1B}[2J"))
        #expect(!output.contains("\u{202E}"))
        #expect(output.contains("evil\u{FFFD}[2J\u{FFFD}text"))
    }
}
