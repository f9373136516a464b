// TerminalRenderer: the bytes that draw the prompt and input line, and that
// print incoming lines above it without garbling what is being typed.
//
// The input line is always the last line of the screen: to print something,
// go to column 0, erase the line (`\r ESC[K`), print the lines, then redraw
// the prompt, the visible part of the input and put the cursor back where it
// was. Input wider than the terminal scrolls horizontally around the cursor,
// so the line never wraps (wrapping would break the "erase one line" rule).
// After a resize the terminal may have rewrapped the old input line onto
// several rows (tmux and most current terminals reflow; xterm cuts instead):
// `resize` goes up the rows the old line now takes above the cursor, erases to
// the end of the screen and draws the line for the new width. Lines addressed
// to the user (`alert`) are shown bold and in reverse video and ring the
// terminal bell (BEL); past messages (history) are faint. Widths are
// counted in terminal columns (East Asian wide characters take two,
// combining marks none). This file only builds strings;
// it writes nothing. Pure.

public struct TerminalRenderer: Sendable {
    /// Terminal width in columns.
    public var columns: Int

    public init(columns: Int) { self.columns = max(columns, 20) }

    /// Moves to column 0 and erases the line.
    public static let eraseLine = "\r\u{1B}[K"

    /// Starts bold reverse video; `normal` ends it.
    public static let highlight = "\u{1B}[1;7m"
    public static let normal = "\u{1B}[0m"
    /// Starts faint text (past messages); `normal` ends it.
    public static let faint = "\u{1B}[2m"
    /// The terminal bell.
    public static let bell = "\u{07}"

    /// What the input line shows: the prompt, the window of the input around the cursor.
    private struct Layout {
        var prompt: [Character]
        var characters: [Character]
        var widths: [Int]
        var start: Int
        var end: Int
    }

    private func layout(prompt: String, editor: LineEditor) -> Layout {
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
        return Layout(prompt: shownPrompt, characters: characters, widths: widths, start: start, end: end)
    }

    /// Redraws the input line: prompt, the visible part of the input, cursor in place.
    public func inputLine(prompt: String, editor: LineEditor) -> String {
        let shown = layout(prompt: prompt, editor: editor)
        var output = Self.eraseLine + String(shown.prompt) + String(shown.characters[shown.start..<shown.end])
        let back = shown.widths[editor.cursor..<max(shown.end, editor.cursor)].reduce(0, +)
        if back > 0 { output += "\u{1B}[\(back)D" }
        return output
    }

    /// The column (from 0) where `inputLine` leaves the cursor.
    public func cursorColumn(prompt: String, editor: LineEditor) -> Int {
        let shown = layout(prompt: prompt, editor: editor)
        return Self.width(shown.prompt[...]) + shown.widths[shown.start..<editor.cursor].reduce(0, +)
    }

    /// The terminal is now `newColumns` wide: erases the input line drawn for the old width, as
    /// a reflowing terminal rewrapped it, and draws it for the new width.
    public mutating func resize(to newColumns: Int, prompt: String, editor: LineEditor) -> String {
        let oldCursor = cursorColumn(prompt: prompt, editor: editor)
        columns = max(newColumns, 20)
        let rowsAbove = oldCursor / columns
        let up = rowsAbove > 0 ? "\u{1B}[\(rowsAbove)A" : ""
        return "\r" + up + "\u{1B}[J" + inputLine(prompt: prompt, editor: editor)
    }

    /// Prints `lines` above the input line, then redraws the input line. With `alert`, the
    /// lines are highlighted and the bell rings; `faded` lines (past messages) are faint.
    public func printAbove(_ lines: [String], prompt: String, editor: LineEditor, alert: Bool = false, faded: Bool = false) -> String {
        guard !lines.isEmpty else { return "" }
        var output = Self.eraseLine
        let style = alert ? Self.highlight : faded ? Self.faint : nil
        for line in lines {
            let safe = Sanitizer.forTerminal(line)
            output += (style.map { $0 + safe + Self.normal } ?? safe) + "\r\n"
        }
        if alert { output += Self.bell }
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
