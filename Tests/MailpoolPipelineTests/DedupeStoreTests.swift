import Crypto
import Foundation
import MailpoolNotifications
import Testing

/// The dedupe store on a real directory, as workers sharing a volume use it.
@Suite struct DedupeStoreTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("mailpool-dedupe-\(UUID().uuidString)").path

    /// The on-disk record of `id`: the first 16 bytes of its SHA-256.
    func record(_ id: String) -> [UInt8] { Array(SHA256.hash(data: Data(id.utf8)).prefix(16)) }

    func hourName(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHH"
        return formatter.string(from: date)
    }

    @Test func recordsAreSeenByThisStoreOthersNowAndStoresStartedLater() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try DedupeStore(root: root, peerInterval: .seconds(3600))
        let second = try DedupeStore(root: root, peerInterval: .seconds(3600))
        #expect(!second.contains("n-1"))
        try first.record("n-1")
        #expect(first.contains("n-1") && !first.contains("n-2"))
        #expect(!second.contains("n-1"), "a plain check reads peers at most every peerInterval")
        #expect(second.contains("n-1", thorough: true))
        try second.record("n-2")
        #expect(first.contains("n-2", thorough: true))
        let later = try DedupeStore(root: root)
        #expect(later.contains("n-1") && later.contains("n-2") && !later.contains("n-3"))
        let logs = try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(hourName(Date()))")
        #expect(logs.count == 2 && logs.allSatisfy { $0.hasSuffix(".ids") })
    }

    @Test func hoursOlderThanTheWindowAreForgottenAndDeleted() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let old = hourName(Date() - 3 * 3600), recent = hourName(Date() - 3600)
        for (hour, id) in [(old, "old"), (recent, "recent")] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(hour)", withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: "\(root)/\(hour)/elsewhere-1-1.ids", contents: Data(record(id)))
        }
        let store = try DedupeStore(root: root, window: 2 * 3600)
        #expect(store.contains("recent") && !store.contains("old"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/\(old)"))
    }

    /// A writer killed in the middle of an append leaves a partial record: it is ignored.
    @Test func aTornRecordIsIgnored() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let hour = hourName(Date())
        try FileManager.default.createDirectory(atPath: "\(root)/\(hour)", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: "\(root)/\(hour)/killed-1-1.ids", contents: Data(record("whole") + record("torn").prefix(7)))
        let store = try DedupeStore(root: root)
        #expect(store.contains("whole") && !store.contains("torn"))
    }
}
