// PlaintextPortCheck: tells a `tlschat --plain` user at once that the port
// speaks TLS, instead of waiting for a greeting that never comes.
//
// A TLS server says nothing until the client's ClientHello, then gives up
// after its handshake timeout (tlschatd: 10 s). A chat/1 server greets within
// moments (tlschatd's plaintext listener within 100 ms). So when no greeting
// has come after `probeDelayMilliseconds`, the client sends `probe`: blank
// lines, which chat/1 ignores (no reply, no command counted, PROTOCOL.md
// section 1), while to a TLS server they are a record header that is not TLS,
// so it hangs up at once (OpenSSL sends no alert for it). The verdict "this
// port speaks TLS" is given when the server's first bytes are a TLS record
// header (content type 20-24, major version 3: an alert or a handshake), or
// when a server that had sent nothing at all hangs up after the probe. A
// server that closes before the probe (e.g. one at its connection limit) or
// that sent anything else is not called TLS. The driver sends the bytes and
// runs the timer; this type only decides. Pure.

public struct PlaintextPortCheck: Equatable, Sendable {
    /// How long a plaintext connection waits for a greeting before probing.
    public static let probeDelayMilliseconds = 1_000
    /// Five LFs: empty lines to chat/1, one TLS record header's worth of non-TLS bytes.
    public static let probe = "\n\n\n\n\n"

    /// Up to two bytes the server sent first.
    private var firstBytes: [UInt8] = []
    private var probeSent = false

    public init() {}

    /// True when the server's first bytes are a TLS record header.
    public var serverSpokeTLS: Bool {
        firstBytes.count == 2 && (20...24).contains(firstBytes[0]) && firstBytes[1] == 3
    }

    /// Bytes from the server. Returns the verdict (a `.serverSpeaksTLS` cause to end with) as
    /// soon as the first two bytes show a TLS record.
    public mutating func received<Bytes: Sequence>(_ bytes: Bytes) -> DisconnectCause? where Bytes.Element == UInt8 {
        guard firstBytes.count < 2 else { return nil }
        for byte in bytes {
            firstBytes.append(byte)
            if firstBytes.count == 2 { break }
        }
        return serverSpokeTLS ? .serverSpeaksTLS("the server answered plaintext with a TLS record") : nil
    }

    /// The probe timer fired: the bytes to send, or nil when the server has already said something.
    public mutating func probeIsDue() -> String? {
        guard firstBytes.isEmpty, !probeSent else { return nil }
        probeSent = true
        return Self.probe
    }

    /// The connection ended with `cause`: the cause to report (the TLS verdict when the
    /// evidence says so, else `cause` unchanged).
    public func explain(_ cause: DisconnectCause) -> DisconnectCause {
        if serverSpokeTLS { return .serverSpeaksTLS("the server answered plaintext with a TLS record") }
        guard probeSent, firstBytes.isEmpty else { return cause }
        switch cause {
        case .serverClosed, .reset, .closedWithoutNotify:
            return .serverSpeaksTLS("it sent no greeting in \(Self.probeDelayMilliseconds / 1000) s and hung up on plaintext, as TLS servers do")
        default:
            return cause
        }
    }
}
