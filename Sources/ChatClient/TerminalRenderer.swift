// TerminalRenderer: the bytes that draw the prompt and input line, and that
// print incoming lines above it without garbling what is being typed.
//
// The input line is always the last line of the screen: to print something,
// go to column 0, erase the line (`\r ESC[K`), print the lines, then redraw
// the prompt, the visible part of the input and put the cursor back where it
// was. Input wider than the terminal scrolls horizontally around the cursor,
// so the line never wraps (wrapping would break the "erase one line" rule).
// Widths are counted in terminal columns (East Asian wide characters take two,
// combining marks none). This file only builds strings; it writes nothing. Pure.

public struct TerminalRenderer: Sendable {
    /// Terminal width in columns.
    public var columns: Int

    public init(columns: Int) { self.columns = max(columns, 20) }

    /// Moves to column 0 and erases the line.
    public static let eraseLine = "\r\u{1B}[K"

    /// Redraws the input line: prompt, the visible part of the input, cursor in place.
    public func inputLine(prompt: String, editor: LineEditor) -> String {
        let usable = columns - 1  // never write into the last column: some terminals wrap there
        var shownPrompt = Array(Sanitizer.forTerminal(prompt))
        while Self.width(shownPrompt[...]) > usable / 2 && shownPrompt.count > 1 { shownPrompt.removeFirst() }
        let room = usable - Self.width(shownPrompt[...])
        let characters = editor.characters.map { Self.displayable($0) }
        let widths = characters.map(Self.width(of:))  // one pass: the window search below is linear
        var start = 0
        var leftOfCursor = widths[..<editor.cursor].reduce(0, +)
        while start < editor.cursor && leftOfCursor > room - 1 {
            leftOfCursor -= widths[start]
            start += 1
        }
        var end = start
        var used = 0
        while end < characters.count && used + widths[end] <= room {
            used += widths[end]
            end += 1
        }
        var output = Self.eraseLine + String(shownPrompt) + String(characters[start..<end])
        let back = widths[editor.cursor..<max(end, editor.cursor)].reduce(0, +)
        if back > 0 { output += "\u{1B}[\(back)D" }
        return output
    }

    /// Prints `lines` above the input line, then redraws the input line.
    public func printAbove(_ lines: [String], prompt: String, editor: LineEditor) -> String {
        guard !lines.isEmpty else { return "" }
        var output = Self.eraseLine
        for line in lines { output += Sanitizer.forTerminal(line) + "\r\n" }
        return output + inputLine(prompt: prompt, editor: editor)
    }

    /// Erases the input line (before exiting, or before printing without a prompt).
    public func clearInputLine() -> String { Self.eraseLine }

    /// A typed character as it may be shown (control characters never reach the screen).
    static func displayable(_ character: Character) -> Character {
        character.unicodeScalars.contains(where: Sanitizer.isUnsafeForTerminal) ? Sanitizer.replacement : character
    }

    /// Columns a run of characters takes.
    static func width(_ characters: ArraySlice<Character>) -> Int {
        characters.reduce(0) { $0 + width(of: $1) }
    }

    /// Columns one character takes: 0 for a lone combining mark, 2 for wide characters, else 1.
    public static func width(of character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        switch first.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        return character.unicodeScalars.contains(where: isWide) ? 2 : 1
    }

    private static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.isEmojiPresentation { return true }  // 🚀 and friends take two cells
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}
