// ConfigKeys: the keys tlschatd's config file accepts, read off the command's
// own argument parser (swift-argument-parser's JSON description of every
// option, the one `--experimental-dump-help` prints), so every flag, in any
// option group (ClusterOptions, LogOptions, MetricsOptions, ...), is a key
// under its long name with no list to keep in step. Two sets are kept by hand,
// one line per key: ConfigOption.pathKeys (the value is a file, taken relative
// to the config file) and ConfigReloader.liveKeys (applied without a restart).
// It does not read the config file (ChatServerKit's ConfigFile does).
import ChatServerKit
import Foundation

enum ConfigKeys {
    /// Every long option of tlschatd (the command line's own help flags and --config excluded).
    static let options: [ConfigOption] = fromDump(TLSChatDaemon._dumpHelp())

    static func fromDump(_ json: String) -> [ConfigOption] {
        guard let data = json.data(using: .utf8),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let command = root["command"] as? [String: Any],
              let arguments = command["arguments"] as? [[String: Any]] else { return [] }
        return arguments.compactMap { argument -> ConfigOption? in
            let names = argument["names"] as? [[String: Any]] ?? []
            guard let name = names.first(where: { $0["kind"] as? String == "long" })?["name"] as? String,
                  !ConfigOption.commandLineOnly.contains(name) else { return nil }
            let kind: ConfigOption.Kind
            switch argument["kind"] as? String {
            case "flag": kind = .flag
            case "option": kind = (argument["isRepeating"] as? Bool ?? false) ? .repeating : .option
            default: return nil
            }
            let allowed = (argument["allValues"] as? [String]).flatMap { $0.isEmpty ? nil : $0 }
            let type = allowed != nil ? .text : ConfigOption.valueType(forDefault: argument["defaultValue"] as? String)
            return ConfigOption(name: name, kind: kind, valueType: type, allowedValues: allowed,
                                isPath: ConfigOption.pathKeys.contains(name))
        }
    }
}
