// MessageSplitter: a message longer than the server's line limit is sent as
// several messages instead of being cut or refused.
//
// Only text can be split: `SAY TEXT` (an action, `SAY /me TEXT`, keeps "/me "
// on every part) and `MSG TARGET TEXT`. Each part is a whole command of at
// most `lineLimit` UTF-8 bytes (the limit `CAP LS` advertises, without the
// LF). Parts end after the last space that keeps at least half of the part,
// else between two characters (grapheme clusters: an accent or an emoji is
// never torn apart, and no part is invalid UTF-8). Any other command that is
// too long, or a single character longer than a whole part, cannot be split:
// the result is nil and the caller refuses it with a message. This file does
// not send anything. Pure.

public enum MessageSplitter {
    /// `command` as one or more commands of at most `lineLimit` bytes; `[command]` when it
    /// fits; nil when it is too long and cannot be split.
    public static func split(_ command: String, lineLimit: Int) -> [String]? {
        guard command.utf8.count > lineLimit else { return [command] }
        guard let (prefix, text) = splittable(command) else { return nil }
        let budget = lineLimit - prefix.utf8.count
        guard budget > 0 else { return nil }
        var parts: [String] = []
        var current: [Character] = []
        var bytes = 0
        var afterLastSpace: Int?  // where a part may end: just after its last space
        for character in text {
            let size = character.utf8.count
            guard size <= budget else { return nil }
            while bytes + size > budget {
                let cut = afterLastSpace.flatMap { $0 * 2 >= current.count ? $0 : nil } ?? current.count
                parts.append(String(current[..<cut]))
                current.removeFirst(cut)
                bytes = current.reduce(0) { $0 + $1.utf8.count }
                afterLastSpace = nil  // the rest held no space: the cut was after the last one
            }
            current.append(character)
            bytes += size
            if character == " " { afterLastSpace = current.count }
        }
        if !current.isEmpty { parts.append(String(current)) }
        return parts.map { prefix + $0 }
    }

    /// The part every piece repeats ("SAY ", "SAY /me ", "MSG bob ") and the text to cut.
    private static func splittable(_ command: String) -> (String, String)? {
        let verb = ServerLine.firstWord(of: command)
        let rest = ServerLine.rest(of: command)
        switch verb {
        case "SAY":
            if rest.hasPrefix(InputTranslator.actionPrefix) {
                return ("SAY " + InputTranslator.actionPrefix, String(rest.dropFirst(InputTranslator.actionPrefix.count)))
            }
            return ("SAY ", rest)
        case "MSG":
            let target = ServerLine.firstWord(of: rest)
            let text = ServerLine.rest(of: rest)
            guard !target.isEmpty, !text.isEmpty else { return nil }
            return ("MSG \(target) ", text)
        default:
            return nil
        }
    }
}
