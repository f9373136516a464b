// TabCompleter: Tab completes the word before the cursor, and repeated Tab
// cycles through the other matches.
//
// At the start of the line a word that begins with "/" completes to a
// command of `/help` (followed by a space); any other word completes to a
// name from the list the session passes (the current room's members but us),
// matched ignoring ASCII case and with or without an anonymous name's "~";
// a name at the start of the line gets ": " after it ("bob: hi"), elsewhere a
// space. Tab with nothing matching changes nothing. Any other key ends the
// cycle (`reset()`). This file edits only through `LineEditor.replace`. Pure.

public struct TabCompleter: Sendable {
    private struct Cycle: Sendable {
        let start: Int
        let candidates: [String]
        var index: Int
    }

    private var cycle: Cycle?

    public init() {}

    /// Completes in `editor`; true when the text changed.
    public mutating func complete(_ editor: inout LineEditor, names: [String], commands: [String]) -> Bool {
        if var current = cycle, editor.cursor == current.start + current.candidates[current.index].count {
            guard current.candidates.count > 1 else { return false }
            current.index = (current.index + 1) % current.candidates.count
            guard editor.replace(from: current.start, with: current.candidates[current.index]) else { return false }
            cycle = current
            return true
        }
        var start = editor.cursor
        while start > 0 && editor.characters[start - 1] != " " { start -= 1 }
        let word = String(editor.characters[start..<editor.cursor]).lowercased()
        let candidates: [String]
        if start == 0 && word.hasPrefix("/") {
            candidates = commands.filter { $0.lowercased().hasPrefix(word) }.map { $0 + " " }
        } else {
            let suffix = start == 0 ? ": " : " "
            candidates = names.filter { Self.matches($0, word) }
                .sorted { $0.lowercased() < $1.lowercased() }
                .map { $0 + suffix }
        }
        guard let first = candidates.first, editor.replace(from: start, with: first) else {
            cycle = nil
            return false
        }
        cycle = Cycle(start: start, candidates: candidates, index: 0)
        return true
    }

    /// Any key but Tab ends the cycle.
    public mutating func reset() { cycle = nil }

    private static func matches(_ name: String, _ lowercasedWord: String) -> Bool {
        let lowercased = name.lowercased()
        return lowercased.hasPrefix(lowercasedWord) || (lowercased.hasPrefix("~") && lowercased.dropFirst().hasPrefix(lowercasedWord))
    }
}
