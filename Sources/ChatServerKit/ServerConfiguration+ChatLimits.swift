// ServerConfiguration+ChatLimits: the chat/1 limits of PROTOCOL.md section 7
// as the core takes them (`ChatLimits`), and the range checks of the options
// that set them (--max-line, --max-rooms-per-client, --max-rooms,
// --max-list-items, --max-name-length, --max-room-name-length, the command
// rate, --sessions-per-user). It does not enforce any limit: ChatServerCore
// and ClientConnection do; it does not hold the certificate-only rooms, which
// ServerConfiguration turns into room keys with these name rules.
import ChatCore

extension ServerConfiguration {
    /// Names and room names may be shortened, never lengthened: PROTOCOL.md promises
    /// clients at most 32 characters. Anonymous names are "~" plus one less, so at least
    /// 16 leaves room for the generated guest names ("~guest" and a number).
    static let nameLengthRange = 16...32
    static let roomNameLengthRange = 1...32

    /// The core's limits for this configuration (certificate-only rooms not included).
    var chatLimits: ChatLimits {
        var limits = ChatLimits()
        limits.maximumLineLength = maximumLineLength
        limits.sessionsPerUser = sessionsPerUser
        limits.commandBurst = commandBurst
        limits.commandsPerSecond = commandsPerSecond
        limits.maximumRoomsPerClient = maximumRoomsPerClient
        limits.maximumRooms = maximumRooms
        limits.maximumListedItems = maximumListedItems
        limits.maximumNameLength = maximumNameLength
        limits.maximumRoomNameLength = maximumRoomNameLength
        return limits
    }

    /// Problems with the room, list and name limits, each naming its flag and range.
    func limitProblems() -> [String] {
        var found: [String] = []
        if !(1...1000).contains(maximumRoomsPerClient) { found.append("--max-rooms-per-client must be 1...1000 (the starting room counts)") }
        if !(1...1_000_000).contains(maximumRooms) { found.append("--max-rooms must be 1...1000000 (the starting room counts)") }
        if !(1...100_000).contains(maximumListedItems) { found.append("--max-list-items must be 1...100000") }
        let names = Self.nameLengthRange, rooms = Self.roomNameLengthRange
        if !names.contains(maximumNameLength) {
            found.append("--max-name-length must be \(names.lowerBound)...\(names.upperBound) characters")
        }
        if !rooms.contains(maximumRoomNameLength) {
            found.append("--max-room-name-length must be \(rooms.lowerBound)...\(rooms.upperBound) characters after the #")
        }
        return found
    }
}
