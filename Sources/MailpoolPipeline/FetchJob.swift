import Foundation

/// A request to read one mailbox, published by the poller (or by a worker, to continue a large batch).
public struct FetchJob: Codable, Sendable, Equatable {
    public var jobID: String
    public var account: String
    public var mailbox: String
    /// 0 for a poll; n for the n-th continuation of a batch that had more messages.
    public var continuation: Int
    public var enqueuedAt: Date

    public init(jobID: String = UUID().uuidString.lowercased(), account: String, mailbox: String, continuation: Int = 0,
                enqueuedAt: Date = Date()) {
        self.jobID = jobID
        self.account = account
        self.mailbox = mailbox
        self.continuation = continuation
        self.enqueuedAt = enqueuedAt
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
