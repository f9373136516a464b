// Sanitizer: makes text from the network safe to print on a terminal.
//
// chat/1 servers already refuse control characters in relayed text, but a
// client must not rely on that: every C0/C1 control character, DEL, TAB
// (which would move the cursor unpredictably), the Unicode line separators and
// every bidi mark, override or isolate (which could make "alice" look like
// someone else) is replaced before printing. This file does not decide what to print. Pure.

public enum Sanitizer {
    /// What replaces an unsafe character.
    public static let replacement: Character = "\u{FFFD}"

    /// A character chat/1 forbids in a line (PROTOCOL.md section 1): C0 controls except TAB,
    /// DEL, the C1 range, U+2028/U+2029, and bidi embeddings, overrides and isolates.
    public static func isForbiddenInProtocol(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: return false
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// A character that must not reach the terminal as is.
    public static func isUnsafeForTerminal(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true                 // C0 (TAB included), DEL, C1
        case 0x200E, 0x200F, 0x061C: return true                    // direction marks
        case 0x2028, 0x2029: return true                            // line and paragraph separators
        case 0x202A...0x202E, 0x2066...0x2069: return true          // bidi embeddings, overrides, isolates
        default: return false
        }
    }

    /// `text` with every unsafe scalar replaced by U+FFFD.
    public static func forTerminal(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafeForTerminal) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            scalars.append(isUnsafeForTerminal(scalar) ? "\u{FFFD}" : scalar)
        }
        return String(scalars)
    }
}
