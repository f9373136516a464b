// ClientAction: what a session state machine asks its driver (the tlschat
// executable) to do. The sessions are pure; only the driver performs these.
// This file declares the actions and the exit statuses; it does nothing.

/// One effect requested by `ScriptSession` or `InteractiveSession`, performed in order.
public enum ClientAction: Equatable, Sendable {
    /// Send this protocol line to the server (the driver appends "\n").
    case send(String)
    /// Write this text to standard output, as is.
    case output(String)
    /// Write this line to standard error (the driver prefixes "tlschat: " and appends "\n").
    case diagnostic(String)
    /// Close the connection and exit with this status (after the actions before it).
    case exit(Int32)
    /// The connection is gone: connect again, with the same settings, after this many milliseconds.
    case reconnect(afterMilliseconds: Int)
}

/// tlschat's exit statuses.
public enum ExitStatus {
    /// Every command got `OK` (scripted), or the user quit (interactive).
    public static let success: Int32 = 0
    /// At least one command got `ERR` (scripted).
    public static let commandFailed: Int32 = 1
    /// A script line is not a valid command; nothing more was sent.
    public static let scriptError: Int32 = 2
    /// Could not connect, the TLS handshake or verification failed, or the connection dropped early.
    public static let connectionFailed: Int32 = 3
}
