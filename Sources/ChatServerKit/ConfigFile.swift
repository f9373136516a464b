// ConfigFile: reads tlschatd's config file (TOML) into settings, one per key,
// each the command-line values of the flag of the same name (`max-clients =
// 500` is `--max-clients 500`, `listen = ["a", "b"]` is `--listen a --listen
// b`, `reuse-port = true` is `--reuse-port`). Every key is at the top level.
// It refuses unknown keys (suggesting a close one), wrong TOML types, values
// outside an enumeration and tables, each in one line naming the file, the
// line and the key. Relative paths are made relative to the file's directory.
// Range checks are ServerConfiguration.problems()'s (ConfigSources names the
// file's line for them); merging with the command line is ConfigSources'.
//
// Why TOML (TOMLKit): TOML is what administrators know from other daemons'
// config files, flat `key = value` lines map one-to-one onto long flag names,
// its types (integer, float, boolean, string, array) are the flags' types, and
// TOMLKit wraps toml++, a complete, well-tested TOML 1.0 parser whose errors
// carry a line and column. (YAML's implicit typing, e.g. `no` as false, is a
// trap for hand-edited files; swift-configuration is built around async
// providers that this one-thread server does not need.)
import TOMLKit
#if canImport(Glibc)
import Glibc
#endif

public struct ConfigFile: Sendable {
    public struct Setting: Sendable, Equatable {
        public var key: String
        /// The command-line values: none for a flag that is on, one for an option, any number for a list.
        public var values: [String]
        /// The 1-based line of the key in the file, when found.
        public var line: Int?
    }

    public let path: String
    /// In the order of the file; a flag set to false is left out (it is off unless given).
    public let settings: [Setting]

    /// Largest config file read (a config file is a few kilobytes).
    public static let maximumSize = 1 << 20

    /// Reads and checks the file at `path` against `options`.
    public static func load(path: String, options: [ConfigOption]) throws(ConfigFileError) -> ConfigFile {
        let text: String
        do {
            text = try Self.read(path)
        } catch {
            throw ConfigFileError("\(path): cannot read the config file: \(error)")
        }
        return try parse(text, path: path, options: options)
    }

    /// Checks `text` as the content of the file at `path` (relative paths in it are taken from that file's directory).
    public static func parse(_ text: String, path: String, options: [ConfigOption]) throws(ConfigFileError) -> ConfigFile {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigFileError("\(path):\(error.source.begin.line): not valid TOML: \(error.description) (column \(error.source.begin.column))")
        } catch {
            throw ConfigFileError("\(path): not valid TOML: \(error)")
        }
        let byName = Dictionary(options.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let directory = Self.directory(of: path)
        var settings: [Setting] = []
        for key in table.keys {
            let line = Self.line(of: key, in: text)
            let at = line.map { "\(path):\($0)" } ?? path
            guard let value = table[key] else { continue }
            if value.type == .table {
                throw ConfigFileError("\(at): [\(key)] is a table; tlschatd's keys are all at the top level (e.g. cluster-name = \"main\")")
            }
            if ConfigOption.commandLineOnly.contains(key) {
                throw ConfigFileError("\(at): key '\(key)' can only be given on the command line")
            }
            guard let option = byName[key] else {
                let hint = Self.closest(to: key, among: Array(byName.keys)).map { " (did you mean '\($0)'?)" } ?? ""
                throw ConfigFileError("\(at): unknown key '\(key)'\(hint); the keys are tlschatd's long flag names (tlschatd --help)")
            }
            let values = try Self.values(of: value, for: option, at: at, directory: directory)
            if option.kind == .flag && values.isEmpty { continue }
            settings.append(Setting(key: key, values: option.kind == .flag ? [] : values, line: line))
        }
        settings.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        return ConfigFile(path: path, settings: settings)
    }

    /// The command-line values of one key, or an error saying what the key takes.
    private static func values(of value: TOMLValueConvertible, for option: ConfigOption, at: String,
                               directory: String) throws(ConfigFileError) -> [String] {
        switch option.kind {
        case .flag:
            guard let on = value.bool else {
                throw ConfigFileError("\(at): key '\(option.name)' must be true or false, not \(describe(value))")
            }
            return on ? ["on"] : []
        case .option:
            return [try scalar(value, for: option, at: at, directory: directory)]
        case .repeating:
            guard let array = value.array else { return [try scalar(value, for: option, at: at, directory: directory)] }
            var found: [String] = []
            for element in array { found.append(try scalar(element, for: option, at: at, directory: directory)) }
            return found
        }
    }

    private static func scalar(_ value: TOMLValueConvertible, for option: ConfigOption, at: String,
                               directory: String) throws(ConfigFileError) -> String {
        let list = option.kind == .repeating ? " (or a list of them)" : ""
        let text: String?
        switch option.valueType {
        case .integer: text = value.int.map(String.init)
        case .number: text = value.int.map(String.init) ?? value.double.map { "\($0)" }
        case .text: text = value.string
        case .textOrInteger: text = value.string ?? value.int.map(String.init)
        }
        guard var text else {
            throw ConfigFileError("\(at): key '\(option.name)' must be \(option.valueType.phrase)\(list), not \(describe(value))")
        }
        if let allowed = option.allowedValues, !allowed.contains(text) {
            throw ConfigFileError("\(at): key '\(option.name)' must be one of \(allowed.joined(separator: ", ")), not '\(text)'")
        }
        if option.isPath, !text.hasPrefix("/"), !text.isEmpty, text != "none" {
            text = directory + "/" + text
        }
        return text
    }

    private static func describe(_ value: TOMLValueConvertible) -> String {
        if let text = value.string { return "the string \"\(text)\"" }
        return "\(value.type == .int ? "an integer" : value.type == .array ? "a list" : "a \(value.type)") (\(value.debugDescription))"
    }

    /// The line where `key` is assigned at the start of a line (TOMLKit does not report where values are).
    static func line(of key: String, in text: String) -> Int? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = line.drop { $0 == " " || $0 == "\t" || $0 == "[" }
            if rest.hasPrefix("\"") || rest.hasPrefix("'") { rest = rest.dropFirst() }
            guard rest.hasPrefix(key) else { continue }
            let after = rest.dropFirst(key.count).drop { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" }
            if after.hasPrefix("=") || after.hasPrefix("]") { return index + 1 }
        }
        return nil
    }

    /// The known key nearest to `key` (edit distance at most a third of its length, at least 2), if any.
    static func closest(to key: String, among keys: [String]) -> String? {
        let scored = keys.map { ($0, EditDistance.between(key, $0)) }.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        guard let (best, distance) = scored, distance <= max(2, key.count / 3) else { return nil }
        return best
    }

    static func directory(of path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : Self.workingDirectory() + "/" + path
        guard let slash = absolute.lastIndex(of: "/") else { return "." }
        return slash == absolute.startIndex ? "/" : String(absolute[..<slash])
    }

    private static func workingDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(cString: buffer)
    }

    /// The file's text, at most `maximumSize` bytes, as UTF-8.
    private static func read(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw ConfigFileError(String(cString: strerror(errno))) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count == 0 { break }
            bytes += chunk[..<count]
            if bytes.count > maximumSize { throw ConfigFileError("larger than \(maximumSize) bytes") }
        }
        if ferror(file) != 0 { throw ConfigFileError("read error") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ConfigFileError("not UTF-8 text") }
        return text
    }
}

extension ConfigOption.ValueType {
    var phrase: String {
        switch self {
        case .integer: "an integer"
        case .number: "a number"
        case .text: "a string"
        case .textOrInteger: "a string or an integer"
        }
    }
}

/// A config file that cannot be used, as one line for the operator.
public struct ConfigFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Levenshtein distance, for "did you mean" hints.
enum EditDistance {
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
