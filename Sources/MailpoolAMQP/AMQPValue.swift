/// A value in an AMQP field table: message headers, queue and exchange arguments, `x-death` records.
public indirect enum AMQPValue: Sendable, Equatable, Hashable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    /// Seconds since the Unix epoch.
    case timestamp(UInt64)
    case table(AMQPTable)
    case array([AMQPValue])
    case void

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .timestamp(let t): return Int64(t)
        default: return nil
        }
    }

    public var tableValue: AMQPTable? {
        if case .table(let t) = self { return t }
        return nil
    }

    public var arrayValue: [AMQPValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}

/// A field table. Keys are short strings (at most 255 bytes).
public typealias AMQPTable = [String: AMQPValue]

extension AMQPValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
