// ConfigOption: what the config file needs to know about one tlschatd flag to
// accept it as a key: its long name (the key), whether it is an on/off flag, an
// option with one value or a repeatable option (a list in the file), the TOML
// type its value must have, the values it allows (enumerations), and whether
// it names a file (relative to the config file's directory). The executable
// derives the list from its own argument parser, so a new flag, in any option
// group, is a key without further work; this file does not read or parse
// anything itself.

public struct ConfigOption: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `--name` alone (a TOML boolean: true gives the flag, false leaves it off).
        case flag
        /// `--name VALUE` once (a TOML scalar).
        case option
        /// `--name VALUE`, repeatable (a TOML array; one scalar counts as a list of one).
        case repeating
    }

    /// The TOML value an option takes.
    public enum ValueType: Sendable, Equatable {
        case integer
        /// An integer or a floating-point number.
        case number
        case text
        /// A string or an integer (e.g. a duration, 30d or 86400, or an optional count).
        case textOrInteger
    }

    /// The flag's long name without "--", which is also its key.
    public var name: String
    public var kind: Kind
    public var valueType: ValueType
    /// The only values allowed, when the option is an enumeration.
    public var allowedValues: [String]?
    /// The value is a file path: relative ones are taken from the config file's directory.
    public var isPath: Bool

    public init(name: String, kind: Kind, valueType: ValueType = .text, allowedValues: [String]? = nil, isPath: Bool = false) {
        self.name = name
        self.kind = kind
        self.valueType = valueType
        self.allowedValues = allowedValues
        self.isPath = isPath
    }

    /// The value type an option's default value suggests (its text as the help shows it):
    /// an integer default means an integer, a decimal one a number, no default a string or
    /// an integer, anything else a string.
    public static func valueType(forDefault text: String?) -> ValueType {
        guard let text else { return .textOrInteger }
        if Int(text) != nil { return .integer }
        if Double(text) != nil { return .number }
        return .text
    }

    /// Keys whose values are file paths. A new option that names a file adds its key here
    /// (one line), so a relative path in the config file is taken from the file's directory.
    public static let pathKeys: Set<String> = [
        "cert", "key", "client-ca", "crl", "history",
        "cluster-password-file", "cluster-token-file", "cluster-nkey-file", "cluster-creds", "cluster-tls-ca", "cluster-tls-cert", "cluster-tls-key",
    ]

    /// Keys that cannot be in the file: `config` itself (no includes) and the help flags.
    public static let commandLineOnly: Set<String> = ["config", "help", "version", "experimental-dump-help"]
}
