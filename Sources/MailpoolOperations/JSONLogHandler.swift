import FoundationEssentials
import Glibc
import Logging
import MailpoolCore
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

    public func log(event: LogEvent) {
        var fields = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        fields["ts"] = .string(Date().formatted(.iso8601.year().month().day().dateSeparator(.dash)
            .time(includingFractionalSeconds: true).timeSeparator(.colon)))
        fields["level"] = .string(event.level.rawValue)
        fields["logger"] = .string(label)
        fields["msg"] = .string(event.message.description)
        guard var data = try? Self.encoder.encode(fields.mapValues(Field.init)) else { return }
        data.append(10)
        Self.output.withLock { _ in
            // A log line that standard error refuses is dropped: there is nowhere else to say so.
            _ = data.withUnsafeBytes { bytes in writeAll(bytes) { write(STDERR_FILENO, $0, $1) } }
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A metadata value as JSON: strings, arrays and objects as they are.
    private struct Field: Encodable {
        let value: Logger.MetadataValue

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch value {
            case .string(let text): try container.encode(text)
            case .stringConvertible(let convertible): try container.encode(convertible.description)
            case .array(let values): try container.encode(values.map(Field.init))
            case .dictionary(let values): try container.encode(values.mapValues(Field.init))
            }
        }
    }
}

/// How logs are written: `text` (swift-log's console format) or `json` (one object a line).
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}
