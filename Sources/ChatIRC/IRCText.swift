// IRCText: the rule for message text crossing between IRC and chat/1
// (README "IRC clients", PROTOCOL.md section 16).
//
// From IRC: mIRC formatting codes (bold 0x02, colour 0x03 with its digits,
// hex colour 0x04 with its digits, reset 0x0F, monospace 0x11, reverse 0x16,
// strikethrough 0x1E, italic 0x1D, underline 0x1F) are STRIPPED; a CTCP ACTION
// (`/me waves`) becomes the text `/me waves`; any other CTCP is not relayed;
// every other control character is left in place, so the core REFUSES the
// message (BAD_TEXT, reported to the IRC user) exactly as for a chat/1 client.
// To IRC: a text starting with `/me ` goes out as a CTCP ACTION; text is split
// at character boundaries into pieces that keep each line within 512 bytes.
// chat/1 text never holds a control character, so nothing raw is relayed. Pure.

public enum IRCText {
    /// What an IRC PRIVMSG/NOTICE text becomes for chat/1, or nil when it is a CTCP
    /// request other than ACTION (not relayed).
    public static func chatText(fromIRC text: String) -> String? {
        // Most texts hold no byte below 0x20: nothing to strip and no CTCP.
        if !text.utf8.contains(where: { $0 < 0x20 }) { return text }
        var body = Substring(text)
        if body.hasPrefix("\u{1}") {
            body = body.dropFirst()
            if body.hasSuffix("\u{1}") { body = body.dropLast() }
            guard body.uppercased().hasPrefix("ACTION ") else { return nil }
            return "/me " + stripFormatting(String(body.dropFirst(7)))
        }
        return stripFormatting(String(body))
    }

    /// The text with every mIRC formatting code (and a colour code's digits) removed.
    public static func stripFormatting(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        func skip(_ count: Int, _ isDigit: (Unicode.Scalar) -> Bool) {
            var taken = 0
            while taken < count, index < scalars.count, isDigit(scalars[index]) { index += 1; taken += 1 }
        }
        let decimal: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }
        let hex: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0) }
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            switch scalar.value {
            case 0x02, 0x0F, 0x11, 0x16, 0x1D, 0x1E, 0x1F: continue
            case 0x03, 0x04:
                let width = scalar.value == 0x03 ? 2 : 6
                let digit = scalar.value == 0x03 ? decimal : hex
                let start = index
                skip(width, digit)
                if index > start, index + 1 < scalars.count, scalars[index] == ",", digit(scalars[index + 1]) {
                    index += 1
                    skip(width, digit)
                }
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// What a chat/1 text becomes in an IRC PRIVMSG: `/me x` is a CTCP ACTION.
    public static func ircText(fromChat text: String) -> String {
        text.hasPrefix("/me ") ? "\u{1}ACTION \(text.dropFirst(4))\u{1}" : text
    }

    /// `text` cut into pieces of at most `maximumBytes` UTF-8 bytes each, never inside a
    /// character (a CTCP ACTION is cut as plain text pieces after the first). At least one piece.
    public static func split(_ text: String, maximumBytes: Int) -> [String] {
        guard text.utf8.count > maximumBytes, maximumBytes >= 4 else { return [text] }
        var pieces: [String] = []
        var current = ""
        var currentBytes = 0
        for character in text {
            let size = character.utf8.count
            if currentBytes + size > maximumBytes, !current.isEmpty {
                pieces.append(current)
                current = ""
                currentBytes = 0
            }
            current.append(character)
            currentBytes += size
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}
