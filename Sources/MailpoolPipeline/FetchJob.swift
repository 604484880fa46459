import FoundationEssentials

/// A request to read one mailbox, published by the poller (or by a worker, to continue a large batch).
public struct FetchJob: Codable, Sendable, Equatable {
    public var jobID: String
    public var account: String
    public var mailbox: String
    /// 0 for a poll; n for the n-th continuation of a batch that had more messages.
    public var continuation: Int
    public var enqueuedAt: Date
    /// The poll this job continues (its first job's ID): what the worker's report names, so that the
    /// poller knows which outstanding job ended.
    public var chainID: String
    /// Messages the chain's earlier jobs delivered (reported when the chain ends).
    public var fetched: Int

    public init(jobID: String = UUID().uuidString.lowercased(), account: String, mailbox: String, continuation: Int = 0,
                enqueuedAt: Date = Date(), chainID: String? = nil) {
        self.jobID = jobID
        self.account = account
        self.mailbox = mailbox
        self.continuation = continuation
        self.enqueuedAt = enqueuedAt
        self.chainID = chainID ?? jobID
        self.fetched = 0
    }

    enum CodingKeys: String, CodingKey { case jobID, account, mailbox, continuation, enqueuedAt, chainID, fetched }

    /// Jobs queued by an older version have no chain: they are their own.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        jobID = try container.decode(String.self, forKey: .jobID)
        account = try container.decode(String.self, forKey: .account)
        mailbox = try container.decode(String.self, forKey: .mailbox)
        continuation = try container.decode(Int.self, forKey: .continuation)
        enqueuedAt = try container.decode(Date.self, forKey: .enqueuedAt)
        chainID = try container.decodeIfPresent(String.self, forKey: .chainID) ?? jobID
        fetched = try container.decodeIfPresent(Int.self, forKey: .fetched) ?? 0
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

/// A worker's report that a mailbox's job chain ended: the mailbox may be polled again, after
/// `restSeconds` when the fetch failed (Retry-After, 30 s, 5 minutes); and what the last batch did,
/// for `mailpool status`.
public struct FetchReport: Codable, Sendable, Equatable {
    public var mailbox: String
    public var chainID: String
    public var restSeconds: Double
    /// Messages delivered by the chain's last batch.
    public var fetched: Int
    /// Why the last batch failed, if it did (never a secret).
    public var error: String?
    /// The failure needs someone to change the account (expired secret, missing consent …).
    public var needsAttention: Bool

    public init(mailbox: String, chainID: String, restSeconds: Double = 0, fetched: Int = 0, error: String? = nil,
                needsAttention: Bool = false) {
        self.mailbox = mailbox.lowercased()
        self.chainID = chainID
        self.restSeconds = restSeconds
        self.fetched = fetched
        self.error = error
        self.needsAttention = needsAttention
    }

    enum CodingKeys: String, CodingKey { case mailbox, chainID, restSeconds, fetched, error, needsAttention }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(mailbox: try container.decode(String.self, forKey: .mailbox), chainID: try container.decode(String.self, forKey: .chainID),
                  restSeconds: try container.decodeIfPresent(Double.self, forKey: .restSeconds) ?? 0,
                  fetched: try container.decodeIfPresent(Int.self, forKey: .fetched) ?? 0,
                  error: try container.decodeIfPresent(String.self, forKey: .error),
                  needsAttention: try container.decodeIfPresent(Bool.self, forKey: .needsAttention) ?? false)
    }
}
