// HistoryPositionTests: the id <-> (stream sequence, index) mapping at its
// edges: the first and last batch sequence and index (the very last id is
// Int64.max), ids of single-entry messages written by earlier versions (their
// id is their sequence, and every batch id is above them), and ids that are
// neither (0, negative, the gap just above 2^62, out-of-range sequences and
// indices) having no position.
@testable import ChatCluster
import ChatCore
import Testing

@Suite struct HistoryPositionTests {
    @Test func batchIDsMapToTheirSequenceAndIndexAndBackAtTheEdges() throws {
        let base = Int64(1) << 62
        for (sequence, index, id) in [(UInt64(1), 0, base + 1024), (1, 1023, base + 2047), (2, 0, base + 2048),
                                      ((UInt64(1) << 52) - 1, 0, Int64.max - 1023), ((UInt64(1) << 52) - 1, 1023, Int64.max)] {
            #expect(HistoryPosition.batchID(sequence: sequence, index: index) == id, "\(sequence) \(index)")
            let position = try #require(HistoryPosition(id: id))
            #expect(position.sequence == sequence && position.index == index && position.isBatch, "\(id)")
            #expect(position.id == id)
        }
    }

    @Test func idsIncreaseWithSequenceThenIndex() {
        var ids: [Int64] = []
        for sequence in [UInt64(1), 2, 3, 1000] {
            for index in [0, 1, 512, 1023] { ids.append(HistoryPosition.batchID(sequence: sequence, index: index)!) }
        }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func singleEntryIDsOfEarlierVersionsKeepTheirSequenceAndStayBelowEveryBatchID() throws {
        for sequence in [UInt64(1), 2, 123_456, (UInt64(1) << 62) - 1] {
            let id = try #require(HistoryPosition.singleID(sequence: sequence))
            #expect(id == Int64(sequence))
            let position = try #require(HistoryPosition(id: id))
            #expect(position.sequence == sequence && position.index == 0 && !position.isBatch && position.id == id)
            #expect(id < HistoryPosition.batchID(sequence: 1, index: 0)!)
        }
        #expect(HistoryPosition.singleID(sequence: 0) == nil)
        #expect(HistoryPosition.singleID(sequence: UInt64(1) << 62) == nil)
    }

    @Test func idsThatAreNeitherHaveNoPosition() {
        let base = Int64(1) << 62
        for id in [0, -1, Int64.min, base, base + 1, base + 1023] {
            #expect(HistoryPosition(id: id) == nil, "\(id)")
        }
    }

    @Test func outOfRangeSequencesAndIndicesHaveNoBatchID() {
        #expect(HistoryPosition.batchID(sequence: 0, index: 0) == nil)
        #expect(HistoryPosition.batchID(sequence: 1 << 52, index: 0) == nil)
        #expect(HistoryPosition.batchID(sequence: 1, index: 1024) == nil)
        #expect(HistoryPosition.batchID(sequence: 1, index: -1) == nil)
    }
}
