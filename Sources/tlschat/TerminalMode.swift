// TerminalMode: puts the controlling terminal (fd 0) into the "raw-ish" mode
// the line editor needs, and puts it back.
//
// Turns off canonical input and echo (we echo and edit ourselves), IEXTEN
// (Ctrl-V) and flow control (Ctrl-S/Ctrl-Q), and disables the suspend key
// (a stopped client would leave the terminal raw). ISIG stays on, so Ctrl-C
// still raises SIGINT, which the client handles on its loop. Output
// processing stays on. `restore()` is idempotent and must run on every exit
// path. It also reports the terminal width. It does not read or write data.
#if canImport(Glibc)
import Glibc
#endif

final class TerminalMode {
    private var original: termios?

    /// True when fd 0 is a terminal.
    static var standardInputIsTerminal: Bool { isatty(0) == 1 }

    /// Enters raw-ish mode; throws the errno text on failure.
    func enter() throws(TerminalError) {
        var settings = termios()
        guard tcgetattr(0, &settings) == 0 else { throw TerminalError("cannot read terminal settings: \(String(cString: strerror(errno)))") }
        original = settings
        settings.c_lflag &= ~tcflag_t(ICANON | ECHO | IEXTEN)
        settings.c_iflag &= ~tcflag_t(IXON)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
            cc[Int(VSUSP)] = 0  // _POSIX_VDISABLE: Ctrl-Z does nothing
            cc[Int(VQUIT)] = 0  // nor Ctrl-\\ (SIGQUIT would dump core and leave the terminal raw)
        }
        guard tcsetattr(0, TCSANOW, &settings) == 0 else {
            original = nil
            throw TerminalError("cannot set terminal mode: \(String(cString: strerror(errno)))")
        }
    }

    /// Puts the terminal back as it was. Safe to call twice.
    func restore() {
        guard var settings = original else { return }
        _ = tcsetattr(0, TCSANOW, &settings)
        original = nil
    }

    /// The terminal's width in columns (80 if unknown).
    static func columns() -> Int {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if ioctl(0, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }
}

struct TerminalError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
