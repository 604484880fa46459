/// A credential (client secret, password, access token). Its text shows as `<redacted>` wherever it is
/// interpolated, logged or dumped, so that it cannot leak by accident; read ``value`` only where the
/// credential is sent.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
