// KeyDecoder: turns the bytes a terminal sends (raw mode) into editing keys.
//
// Bytes may arrive in any fragmentation, one at a time included: a UTF-8
// character or an escape sequence (arrows, Home/End, Delete, Ctrl-arrows)
// split across reads is held until it is complete. Invalid UTF-8 and unknown
// escape sequences are dropped, never inserted. TAB is a key of its own
// (completion), never inserted. Ctrl-C arrives here as byte 0x03 only when
// the terminal's ISIG is off; tlschat keeps ISIG on, so it usually arrives as
// SIGINT, and the driver calls `InteractiveSession.interrupted` for both.
// This file does not edit text (`LineEditor` does) and does not touch the
// terminal. Pure.

/// One key the line editor understands.
public enum Key: Equatable, Sendable {
    case insert(Unicode.Scalar)
    case enter, backspace, delete
    case left, right, wordLeft, wordRight, home, end
    case historyUp, historyDown
    /// Ctrl-U: clear the line. Ctrl-W: delete the word before the cursor. Ctrl-K: delete to the end.
    case clearLine, deleteWordBackward, deleteToEnd
    /// Ctrl-L.
    case redraw
    /// Ctrl-D.
    case endOfInput
    /// Ctrl-C when the terminal delivers it as a byte (ISIG off).
    case interrupt
    /// TAB: complete a name or a /command.
    case tab
}

public struct KeyDecoder: Sendable {
    private enum State: Sendable {
        case ground
        case escape               // after ESC
        case controlSequence      // after ESC [
        case singleShift          // after ESC O
    }

    private var state = State.ground
    private var parameters: [UInt8] = []
    private var utf8: [UInt8] = []
    private var utf8Needed = 0

    public init() {}

    /// Feeds bytes; returns the keys they complete, in order.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [Key] where Bytes.Element == UInt8 {
        var keys: [Key] = []
        for byte in bytes {
            if let key = feed(byte) { keys.append(key) }
        }
        return keys
    }

    /// Feeds one byte; returns the key it completes, if any.
    public mutating func feed(_ byte: UInt8) -> Key? {
        switch state {
        case .ground: return ground(byte)
        case .escape:
            state = .ground
            switch byte {
            case UInt8(ascii: "["): state = .controlSequence; parameters = []; return nil
            case UInt8(ascii: "O"): state = .singleShift; return nil
            case UInt8(ascii: "b"): return .wordLeft
            case UInt8(ascii: "f"): return .wordRight
            case 0x7F: return .deleteWordBackward
            case 0x1B: state = .escape; return nil
            default: return ground(byte)  // a lone ESC followed by a normal key: drop the ESC
            }
        case .singleShift:
            state = .ground
            return finalKey(byte, parameters: [])
        case .controlSequence:
            if (0x30...0x3F).contains(byte) || (0x20...0x2F).contains(byte) {
                if parameters.count < 16 { parameters.append(byte) }
                return nil
            }
            state = .ground
            guard (0x40...0x7E).contains(byte) else { return nil }  // malformed: drop
            return finalKey(byte, parameters: parameters)
        }
    }

    private mutating func ground(_ byte: UInt8) -> Key? {
        if utf8Needed > 0 {
            guard byte & 0xC0 == 0x80 else {  // not a continuation: drop the partial character
                utf8 = []
                utf8Needed = 0
                return ground(byte)
            }
            utf8.append(byte)
            utf8Needed -= 1
            guard utf8Needed == 0 else { return nil }
            defer { utf8 = [] }
            guard let text = String(validating: utf8, as: UTF8.self), let scalar = text.unicodeScalars.first else { return nil }
            return .insert(scalar)
        }
        switch byte {
        case 0x0D, 0x0A: return .enter
        case 0x7F, 0x08: return .backspace
        case 0x01: return .home
        case 0x02: return .left
        case 0x03: return .interrupt
        case 0x04: return .endOfInput
        case 0x05: return .end
        case 0x06: return .right
        case 0x09: return .tab
        case 0x0B: return .deleteToEnd
        case 0x0C: return .redraw
        case 0x0E: return .historyDown
        case 0x10: return .historyUp
        case 0x15: return .clearLine
        case 0x17: return .deleteWordBackward
        case 0x1B: state = .escape; return nil
        case 0x20...0x7E: return .insert(Unicode.Scalar(byte))
        case 0xC2...0xDF: utf8 = [byte]; utf8Needed = 1; return nil
        case 0xE0...0xEF: utf8 = [byte]; utf8Needed = 2; return nil
        case 0xF0...0xF4: utf8 = [byte]; utf8Needed = 3; return nil
        default: return nil  // other controls and invalid lead bytes
        }
    }

    private func finalKey(_ byte: UInt8, parameters: [UInt8]) -> Key? {
        let text = String(decoding: parameters, as: UTF8.self)
        let modified = text.hasSuffix(";5") || text.hasSuffix(";3")  // Ctrl or Alt held
        switch byte {
        case UInt8(ascii: "A"): return .historyUp
        case UInt8(ascii: "B"): return .historyDown
        case UInt8(ascii: "C"): return modified ? .wordRight : .right
        case UInt8(ascii: "D"): return modified ? .wordLeft : .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "~"):
            switch text {
            case "1", "7": return .home
            case "4", "8": return .end
            case "3": return .delete
            default: return nil
            }
        default: return nil
        }
    }
}
