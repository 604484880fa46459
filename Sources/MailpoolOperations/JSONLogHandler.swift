import Foundation
import Logging
import Synchronization

/// Writes each log record as one JSON object on a line of standard error, for log collectors:
/// `{"ts": "…", "level": "info", "logger": "mailpool.fetch-worker", "msg": "…", <metadata>…}`. Metadata
/// keys (the account, the job or notification ID, correlation fields) become fields of their own.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private static let output = Mutex(())

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
                    function: String, line: UInt) {
        var fields: [String: Any] = [:]
        for (key, value) in self.metadata.merging(metadata ?? [:], uniquingKeysWith: { $1 }) { fields[key] = Self.plain(value) }
        fields["ts"] = Date().formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon))
        fields["level"] = level.rawValue
        fields["logger"] = label
        fields["msg"] = message.description
        guard var data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        data.append(10)
        Self.output.withLock { _ in FileHandle.standardError.write(data) }
    }

    private static func plain(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(plain)
        case .dictionary(let values): values.mapValues(plain)
        }
    }
}

/// How logs are written: `text` (swift-log's console format) or `json` (one object a line).
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}
