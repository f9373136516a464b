// ConfigFileTests: ChatServerKit's config file reading (ConfigFile) and its
// merge with the command line (ConfigSources), without a server: every error
// names the file, the line and the key and says what is allowed; relative
// paths follow the file; the command line wins, and replaces lists.
@testable import ChatServerKit
import Testing

@Suite("config file")
struct ConfigFileTests {
    static let options: [ConfigOption] = [
        ConfigOption(name: "cert", kind: .option, valueType: .text, isPath: true),
        ConfigOption(name: "history", kind: .option, valueType: .text, isPath: true),
        ConfigOption(name: "listen", kind: .repeating, valueType: .text),
        ConfigOption(name: "max-clients", kind: .option, valueType: .integer),
        ConfigOption(name: "max-line", kind: .option, valueType: .integer),
        ConfigOption(name: "commands-per-second", kind: .option, valueType: .number),
        ConfigOption(name: "reuse-port", kind: .flag),
        ConfigOption(name: "tls-policy", kind: .option, valueType: .text, allowedValues: ["modern", "intermediate"]),
        ConfigOption(name: "history-max-age", kind: .option, valueType: .textOrInteger),
    ]

    func parse(_ text: String) throws(ConfigFileError) -> ConfigFile {
        try ConfigFile.parse(text, path: "/etc/tlschat/tlschatd.toml", options: Self.options)
    }

    func error(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test("every key becomes the flag of the same name, in file order, with its line")
    func keysBecomeFlags() throws {
        let file = try parse("""
            # a comment
            max-clients = 500
            listen = ["0.0.0.0:2222", "[::]:2222"]
            reuse-port = true
            commands-per-second = 2.5
            history-max-age = "30d"
            """)
        #expect(file.settings.map(\.key) == ["max-clients", "listen", "reuse-port", "commands-per-second", "history-max-age"])
        #expect(file.settings.map(\.line) == [2, 3, 4, 5, 6])
        let sources = ConfigSources(file: file, commandLine: [], options: Self.options)
        #expect(sources.arguments == ["--max-clients", "500", "--listen", "0.0.0.0:2222", "--listen", "[::]:2222", "--reuse-port",
                                      "--commands-per-second", "2.5", "--history-max-age", "30d"])
    }

    @Test("a flag set to false is left off; an integer is a number too")
    func falseFlagAndIntegerNumber() throws {
        let file = try parse("reuse-port = false\ncommands-per-second = 3\n")
        #expect(file.settings.map(\.key) == ["commands-per-second"])
        #expect(file.settings.first?.values == ["3"])
    }

    @Test("relative paths are taken from the config file's directory; absolute ones and none stay")
    func relativePathsFollowTheFile() throws {
        let file = try parse("cert = \"certs/server.pem\"\nhistory = \"none\"\n")
        #expect(file.settings[0].values == ["/etc/tlschat/certs/server.pem"])
        #expect(file.settings[1].values == ["none"])
        #expect(try parse("cert = \"/srv/a.pem\"").settings[0].values == ["/srv/a.pem"])
    }

    @Test("an unknown key is refused with its line and the closest key")
    func unknownKeyHasSuggestion() {
        #expect(error("\n\nmax-client = 5") == "/etc/tlschat/tlschatd.toml:3: unknown key 'max-client' (did you mean 'max-clients'?); the keys are tlschatd's long flag names (tlschatd --help)")
        #expect(error("colour = 1").hasPrefix("/etc/tlschat/tlschatd.toml:1: unknown key 'colour'; "))
    }

    @Test("a wrong type names the key, the line and the type wanted", arguments: [
        ("max-clients = \"many\"", "/etc/tlschat/tlschatd.toml:1: key 'max-clients' must be an integer, not the string \"many\""),
        ("reuse-port = 1", "/etc/tlschat/tlschatd.toml:1: key 'reuse-port' must be true or false, not an integer (1)"),
        ("listen = [1]", "/etc/tlschat/tlschatd.toml:1: key 'listen' must be a string (or a list of them), not an integer (1)"),
        ("cert = [\"a\"]", "/etc/tlschat/tlschatd.toml:1: key 'cert' must be a string, not a list ([ 'a' ])"),
        ("tls-policy = \"old\"", "/etc/tlschat/tlschatd.toml:1: key 'tls-policy' must be one of modern, intermediate, not 'old'"),
    ])
    func wrongType(_ text: String, _ expected: String) {
        #expect(error(text) == expected)
    }

    @Test("TOML syntax errors give the line; tables and command-line-only keys are refused")
    func syntaxTablesAndCommandLineOnly() {
        #expect(error("max-clients = 5\nlisten = [\"a\"\n").hasPrefix("/etc/tlschat/tlschatd.toml:2: not valid TOML: "))
        #expect(error("[cluster]\nname = \"x\"").hasPrefix("/etc/tlschat/tlschatd.toml:1: [cluster] is a table; "))
        #expect(error("config = \"other.toml\"") == "/etc/tlschat/tlschatd.toml:1: key 'config' can only be given on the command line")
    }

    @Test("the command line wins, and a repeatable flag there replaces the file's list")
    func commandLineWins() throws {
        let file = try parse("listen = [\"0.0.0.0:2222\", \"[::]:2222\"]\nmax-clients = 500\nmax-line = 100\n")
        let sources = ConfigSources(file: file, commandLine: ["--listen", "127.0.0.1:0", "--max-line=200"], options: Self.options)
        #expect(sources.arguments == ["--max-clients", "500", "--listen", "127.0.0.1:0", "--max-line=200"])
        #expect(sources.effective == ["listen": ["127.0.0.1:0"], "max-clients": ["500"], "max-line": ["200"]])
    }

    @Test("a range problem found later points at the file's line when the value came from the file")
    func rangeProblemNamesTheLine() throws {
        let file = try parse("max-clients = 5\nmax-line = 0\n")
        let sources = ConfigSources(file: file, commandLine: [], options: Self.options)
        #expect(sources.explain("--max-line must be 1...1048576 bytes")
                == "/etc/tlschat/tlschatd.toml:2: key 'max-line': --max-line must be 1...1048576 bytes")
        let overridden = ConfigSources(file: file, commandLine: ["--max-line", "0"], options: Self.options)
        #expect(overridden.explain("--max-line must be 1...1048576 bytes") == "--max-line must be 1...1048576 bytes")
        // --max-clients is not --max-clients-per-address
        #expect(sources.explain("--max-clients-per-address must be at least 1") == "--max-clients-per-address must be at least 1")
    }

    @Test("suggestions only for close keys")
    func suggestionsAreClose() {
        #expect(ConfigFile.closest(to: "lisen", among: ["listen", "cert"]) == "listen")
        #expect(ConfigFile.closest(to: "zzzzzzzz", among: ["listen", "cert"]) == nil)
    }
}
