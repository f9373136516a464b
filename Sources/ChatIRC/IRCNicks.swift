// IRCNicks: the documented, reversible mapping between chat/1 names and IRC
// nicks (README "IRC clients", PROTOCOL.md section 16).
//
// chat/1 names use `A-Z a-z 0-9 . _ -`, and anonymous names start with `~`;
// neither `.` nor `~` belongs in an IRC nick. The rule, one character at a time:
// a leading `~` becomes `^`, and every `.` becomes a backquote. Certificate
// names contain neither `^` nor a backquote, so an anonymous nick (always
// starting with `^`) can never equal or imitate a certificate name, and the
// mapping is one-to-one with the same length (NICKLEN = the name limit). The
// reverse also accepts what a user may type from chat/1 habits (`~carol`,
// `bob.smith`). Case is kept; comparisons stay ASCII-only (CASEMAPPING=ascii,
// like NameRules.key). Pure; it does not check that a name is valid (the core does).

public enum IRCNicks {
    /// The character that marks an anonymous (`tls` or `plain`) user's nick.
    public static let anonymousMarker: Character = "^"
    /// What a `.` of a chat/1 name becomes in a nick.
    public static let dotReplacement: Character = "`"

    /// The IRC nick for chat/1 name `name` (`~guest1` -> `^guest1`, `bob.smith` -> "bob`smith").
    public static func nick(forName name: String) -> String {
        var nick = ""
        for (index, character) in name.enumerated() {
            if index == 0 && character == "~" {
                nick.append(anonymousMarker)
            } else if character == "." {
                nick.append(dotReplacement)
            } else {
                nick.append(character)
            }
        }
        return nick
    }

    /// The chat/1 name an IRC user means by `nick` (`^carol` and `~carol` -> `~carol`;
    /// "bob`smith" and `bob.smith` -> `bob.smith`). Other characters are passed on for
    /// the core to accept or refuse.
    public static func name(forNick nick: String) -> String {
        var name = ""
        for (index, character) in nick.enumerated() {
            if index == 0 && (character == anonymousMarker || character == "~") {
                name.append("~")
            } else if character == dotReplacement {
                name.append(".")
            } else {
                name.append(character)
            }
        }
        return name
    }

    /// True for a nick of an anonymous user (it starts with the marker).
    public static func isAnonymous(_ nick: String) -> Bool { nick.first == anonymousMarker }
}
