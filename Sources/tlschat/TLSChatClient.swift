// tlschat: the TLSChat client executable. Parses options, resolves the host,
// builds the TLS context (server verification on by default), and runs one
// `ClientDriver` on one EventLoop: interactive when stdin is a terminal,
// scripted otherwise. All chat logic lives in ChatClient; this file only
// validates options and wires things up.
import ArgumentParser
import ChatCore
import ChatClient
import ChatNet
#if canImport(Glibc)
import Glibc
#endif

@main
struct TLSChatClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tlschat",
        abstract: "TLSChat client: chat over chat/1, TLS-verified by default.",
        discussion: """
            Interactive when stdin is a terminal (type /help). Otherwise scripted: each stdin line \
            (same syntax: text is said in the current room, /commands are mapped) is sent as it \
            arrives, every line from the server is printed verbatim, and BYE is sent at end of input. \
            After JOIN, PART, NICK, CAP REQ or a /raw verb tlschat does not know, the next line waits \
            for that command's reply.

            The first ERR stops the script, like `set -e`: nothing after it is sent (lines already \
            sent before the ERR arrived were carried out by the server; their replies are printed, for at most 10 s), \
            then BYE; stderr names the script line and the command. With --keep-going every line is \
            sent whatever the replies, and the status is 1 at the end if any was ERR.

            Exit status: 0 every command got OK (or you quit); 1 a command got ERR (the first error \
            is printed to stderr); 2 a script line is not a valid command; 3 could not connect, TLS \
            or certificate verification failed, or the connection dropped early; 64 bad options.
            """,
        version: TLSChatVersion.string)

    @Argument(help: "Server host name or IP address (checked against the server certificate).")
    var host: String = "localhost"

    @Option(help: "Server port.")
    var port: Int = 2222

    @Option(help: "CA certificates (PEM) to verify the server with. Default: the system CA store.")
    var ca: String?

    @Option(help: "Client certificate chain (PEM, leaf first, then any intermediates) to sign in with; needs --key.")
    var cert: String?

    @Option(help: "Private key (PEM) of --cert.")
    var key: String?

    @Flag(help: "Connect WITHOUT TLS, to a server's plaintext listener: nothing is encrypted or verified.")
    var plain = false

    @Option(help: "Name to ask for after connecting (sends NICK NAME).")
    var name: String?

    @Flag(help: ArgumentHelp("Interactive mode: when the connection is lost, connect again (1 s, doubling up to 30 s) and rejoin your rooms.",
                             discussion: "Never after a certificate or TLS failure, and always with the same verification and transport: it never falls back to plaintext."))
    var reconnect = false

    @Flag(help: ArgumentHelp("Scripted mode: after an ERR reply, carry on with the next lines (exit status 1 at the end).",
                             discussion: "Without it the first ERR stops the script (see above)."))
    var keepGoing = false

    /// HOST without the brackets of "[::1]".
    private var bareHost: String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1...65535") }
        guard !bareHost.isEmpty else { throw ValidationError("HOST must not be empty") }
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together: give both or neither") }
        if plain && (cert != nil || ca != nil) {
            throw ValidationError("--plain has no TLS: --ca, --cert and --key cannot be used with it")
        }
        if let name, name.isEmpty || name.contains(" ") || name.unicodeScalars.contains(where: Sanitizer.isForbiddenInProtocol) {
            throw ValidationError("--name must be one word without control characters")
        }
    }

    mutating func run() throws {
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host: bareHost, port: port)
        } catch {
            StandardStreams.diagnostic("\(error)")
            throw ExitCode(ExitStatus.connectionFailed)
        }
        let transport: ServerLink.Transport
        if plain {
            StandardStreams.diagnostic("warning: --plain: the connection is NOT encrypted and the server is NOT verified; anyone on the network path can read and change it")
            transport = .plain
        } else {
            do {
                let tls = TLSConfiguration.client(trustRoots: ca.map { .file($0) } ?? .system,
                                                  certificateChainFile: cert, privateKeyFile: key)
                transport = .tls(try TLSContext(tls), serverName: bareHost)
            } catch {
                StandardStreams.diagnostic("error: \(error)")
                throw ExitCode(64)
            }
        }
        let status = try runSession(addresses: addresses, transport: transport)
        if status != 0 { throw ExitCode(status) }
    }

    private func runSession(addresses: [SocketAddress], transport: ServerLink.Transport) throws -> Int32 {
        let loop = try EventLoop()
        let interactive = TerminalMode.standardInputIsTerminal
        if reconnect && !interactive {
            StandardStreams.diagnostic("error: --reconnect is for interactive sessions: a script cannot know whether its unanswered commands were carried out")
            return 64
        }
        let link = ServerLink(loop: loop, addresses: addresses, transport: transport)
        let driver = ClientDriver(loop: loop, link: link, interactive: interactive, nickname: name, reconnect: reconnect,
                                  keepGoing: keepGoing)
        do {
            try driver.start()
            while driver.exitStatus == nil { try loop.run() }
        } catch {
            driver.finish()
            StandardStreams.diagnostic("error: \(error)")
            return ExitStatus.connectionFailed
        }
        driver.finish()
        return driver.exitStatus ?? ExitStatus.connectionFailed
    }
}
