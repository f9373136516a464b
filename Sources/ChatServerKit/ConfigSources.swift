// ConfigSources: the config file's settings and the command line merged into
// one argument list for tlschatd's parser. A key given on the command line
// wins over the file; for a repeatable option the command line's values
// replace the file's list (they are not added to it). It also tells, for a
// problem found later (a range check naming `--max-line`, or the argument
// parser refusing a value), whether the value came from the file and where,
// so the operator is pointed at the right line. It does not read files
// (ConfigFile does) or know what any key means.

public struct ConfigSources: Sendable {
    public let file: ConfigFile?
    /// The command line as given (without the program name).
    public let commandLine: [String]
    /// Keys the command line sets (those the file's values give way to).
    public let commandLineKeys: Set<String>
    /// Keys that are on/off flags (they take no value on the command line).
    private let flags: Set<String>

    public init(file: ConfigFile?, commandLine: [String], options: [ConfigOption]) {
        self.file = file
        self.commandLine = commandLine
        commandLineKeys = Self.keys(in: commandLine, options: options)
        flags = Set(options.filter { $0.kind == .flag }.map(\.name))
    }

    /// The file's settings the command line does not override, as arguments, then the command line.
    public var arguments: [String] {
        var merged: [String] = []
        for setting in fileSettings {
            if setting.values.isEmpty { merged.append("--" + setting.key) }
            for value in setting.values { merged += ["--" + setting.key, value] }
        }
        return merged + commandLine
    }

    /// The settings that come from the file (not overridden on the command line).
    public var fileSettings: [ConfigFile.Setting] {
        (file?.settings ?? []).filter { !commandLineKeys.contains($0.key) }
    }

    /// Every key's effective values, for telling what a reload changed: the file's, then
    /// the command line's (flags as `["on"]`).
    public var effective: [String: [String]] {
        var found: [String: [String]] = [:]
        for setting in fileSettings { found[setting.key] = setting.values.isEmpty ? ["on"] : setting.values }
        var index = 0
        var fromCommandLine: [String: [String]] = [:]
        while index < commandLine.count {
            let word = commandLine[index]
            index += 1
            guard word.hasPrefix("--") else { continue }
            let body = word.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                fromCommandLine[String(body[..<equals]), default: []].append(String(body[body.index(after: equals)...]))
            } else if !flags.contains(String(body)), index < commandLine.count {
                fromCommandLine[String(body), default: []].append(commandLine[index])
                index += 1
            } else {
                fromCommandLine[String(body), default: []].append("on")
            }
        }
        found.merge(fromCommandLine) { _, new in new }
        return found
    }

    /// `problem` with the file, line and key in front when it names (as `--KEY`) a key
    /// whose value came from the file; unchanged otherwise.
    public func explain(_ problem: String) -> String {
        guard let file else { return problem }
        for setting in fileSettings where problem.contains("--" + setting.key) {
            let next = problem.range(of: "--" + setting.key).map { problem[$0.upperBound...].first }
            if let next, let character = next, character.isLetter || character.isNumber || character == "-" { continue }
            let at = setting.line.map { "\(file.path):\($0)" } ?? file.path
            return "\(at): key '\(setting.key)': \(problem)"
        }
        return problem
    }

    /// The long names of the options `arguments` gives (`--name`, `--name=value`), known ones only.
    static func keys(in arguments: [String], options: [ConfigOption]) -> Set<String> {
        let known = Set(options.map(\.name))
        var found: Set<String> = []
        for word in arguments where word.hasPrefix("--") {
            let name = String(word.dropFirst(2).prefix { $0 != "=" })
            if known.contains(name) { found.insert(name) }
        }
        return found
    }
}
