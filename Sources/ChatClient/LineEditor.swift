// LineEditor: the text being typed, its cursor, and a small history.
//
// Applies one `Key` at a time: insert (UTF-8, combining marks join the
// character before them), backspace/delete, cursor moves by character and by
// word, Home/End, Ctrl-U/Ctrl-W/Ctrl-K, Enter (submits and remembers the
// line), Up/Down through earlier lines (the unfinished draft is kept). The
// cursor is an index in characters (grapheme clusters), never in bytes. Input
// stops growing at `maximumBytes` (64 KiB by default; the key that would pass
// it reports `.full`, so the session can say so): text longer than the
// server's line limit is the session's business (`MessageSplitter`).
// `abandonLine()` (Ctrl-C) keeps the text in the history; `replace(from:with:)`
// serves Tab completion (`TabCompleter`). This file does not decode bytes
// (`KeyDecoder`) or draw (`TerminalRenderer`). Pure.

/// What a key did, beyond editing.
public enum EditorOutcome: Equatable, Sendable {
    /// The text or cursor may have changed: redraw the input line.
    case edited
    /// Enter: the line (now cleared from the editor).
    case submitted(String)
    /// Ctrl-D on an empty line.
    case endOfInput
    /// Ctrl-C delivered as a key.
    case interrupt
    /// Ctrl-L: redraw everything.
    case redraw
    /// Nothing changed (e.g. Left at the start of the line).
    case ignored
    /// A character was not inserted: the input already holds `maximumBytes`.
    case full
}

public struct LineEditor: Sendable {
    /// The characters typed so far.
    public private(set) var characters: [Character] = []
    /// Where the next character goes: 0...characters.count.
    public private(set) var cursor = 0
    private var history: [String] = []
    private var historyPosition: Int?   // index into history while browsing, nil when editing the draft
    private var draft: [Character] = []
    /// UTF-8 bytes in `characters`, kept up to date so a long paste stays linear.
    private var byteCount = 0
    /// Most lines remembered.
    public let historyLimit: Int
    /// Most UTF-8 bytes of input.
    public let maximumBytes: Int
    /// The default for `maximumBytes`: many server lines' worth (long text is split when sent).
    public static let defaultMaximumBytes = 64 * 1024

    public init(historyLimit: Int = 200, maximumBytes: Int = LineEditor.defaultMaximumBytes) {
        self.historyLimit = historyLimit
        self.maximumBytes = maximumBytes
    }

    /// The current text.
    public var text: String { String(characters) }

    /// Applies one key.
    public mutating func apply(_ key: Key) -> EditorOutcome {
        switch key {
        case .insert(let scalar): return insert(scalar)
        case .enter: return submit()
        case .backspace:
            guard cursor > 0 else { return .ignored }
            characters.remove(at: cursor - 1)
            cursor -= 1
        case .delete:
            guard cursor < characters.count else { return .ignored }
            characters.remove(at: cursor)
        case .left: return move(to: cursor - 1)
        case .right: return move(to: cursor + 1)
        case .home: return move(to: 0)
        case .end: return move(to: characters.count)
        case .wordLeft: return move(to: wordStart(before: cursor))
        case .wordRight: return move(to: wordEnd(after: cursor))
        case .clearLine:
            guard !characters.isEmpty else { return .ignored }
            characters = []
            cursor = 0
        case .deleteWordBackward:
            let start = wordStart(before: cursor)
            guard start < cursor else { return .ignored }
            characters.removeSubrange(start..<cursor)
            cursor = start
        case .deleteToEnd:
            guard cursor < characters.count else { return .ignored }
            characters.removeSubrange(cursor...)
        case .historyUp: return browseHistory(by: -1)
        case .historyDown: return browseHistory(by: 1)
        case .redraw: return .redraw
        case .interrupt: return .interrupt
        case .tab: return .ignored  // completion needs the room's names: the session handles Tab
        case .endOfInput:
            if characters.isEmpty { return .endOfInput }
            guard cursor < characters.count else { return .ignored }
            characters.remove(at: cursor)  // like readline: Ctrl-D deletes forward on a non-empty line
        }
        recount()
        return .edited
    }

    /// Ctrl-C on a typed line: clears it, but keeps it in the history (Up brings it back).
    /// False when the line was already empty.
    public mutating func abandonLine() -> Bool {
        guard !characters.isEmpty else { return false }
        _ = submit()
        return true
    }

    /// Replaces the characters from `start` up to the cursor with `text` and puts the cursor
    /// after it (Tab completion). False, changing nothing, when the result would pass `maximumBytes`.
    public mutating func replace(from start: Int, with text: String) -> Bool {
        guard (0...cursor).contains(start) else { return false }
        let removed = characters[start..<cursor].reduce(0) { $0 + $1.utf8.count }
        guard byteCount - removed + text.utf8.count <= maximumBytes else { return false }
        let inserted = Array(text)
        characters.replaceSubrange(start..<cursor, with: inserted)
        cursor = start + inserted.count
        recount()
        return true
    }

    private mutating func insert(_ scalar: Unicode.Scalar) -> EditorOutcome {
        guard byteCount + scalar.utf8.count <= maximumBytes else { return .full }
        // Only the neighbours can join the new scalar (a combining mark joins the character
        // before it), so only they are re-segmented: a long paste stays linear.
        let from = max(cursor - 1, 0), to = min(cursor + 1, characters.count)
        var before = String(characters[from..<cursor])
        before.unicodeScalars.append(scalar)
        let joined = Array(before + String(characters[cursor..<to]))
        characters.replaceSubrange(from..<to, with: joined)
        cursor = from + min(before.count, joined.count)
        byteCount += scalar.utf8.count
        return .edited
    }

    private mutating func recount() {
        byteCount = characters.reduce(0) { $0 + $1.utf8.count }
    }

    private mutating func submit() -> EditorOutcome {
        let line = text
        characters = []
        cursor = 0
        byteCount = 0
        historyPosition = nil
        draft = []
        if !line.isEmpty && history.last != line {
            history.append(line)
            if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
        }
        return .submitted(line)
    }

    private mutating func move(to position: Int) -> EditorOutcome {
        let clamped = max(0, min(position, characters.count))
        guard clamped != cursor else { return .ignored }
        cursor = clamped
        return .edited
    }

    private mutating func browseHistory(by step: Int) -> EditorOutcome {
        guard !history.isEmpty else { return .ignored }
        let current = historyPosition ?? history.count
        let next = max(0, min(current + step, history.count))
        guard next != current else { return .ignored }
        if historyPosition == nil { draft = characters }
        historyPosition = next == history.count ? nil : next
        characters = next == history.count ? draft : Array(history[next])
        cursor = characters.count
        recount()
        return .edited
    }

    private func wordStart(before position: Int) -> Int {
        var index = position
        while index > 0 && characters[index - 1] == " " { index -= 1 }
        while index > 0 && characters[index - 1] != " " { index -= 1 }
        return index
    }

    private func wordEnd(after position: Int) -> Int {
        var index = position
        while index < characters.count && characters[index] == " " { index += 1 }
        while index < characters.count && characters[index] != " " { index += 1 }
        return index
    }
}
