// DecimalDigits: an unsigned decimal number read straight from bytes, as the
// NATS protocol writes them (sizes and sids in MSG lines, sequences in
// $JS.ACK subjects): 1 to `maximumDigits` ASCII digits, nil for anything
// else or on overflow. No sign, no spaces, no allocation.

enum DecimalDigits {
    static func value<Bytes: Collection>(_ bytes: Bytes, maximumDigits: Int) -> UInt64? where Bytes.Element == UInt8 {
        guard !bytes.isEmpty, bytes.count <= maximumDigits else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= 48, byte <= 57 else { return nil }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(UInt64(byte - 48))
            if overflowTimes || overflowSum { return nil }
            value = sum
        }
        return value
    }
}
