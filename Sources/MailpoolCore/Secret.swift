/// A credential (client secret, password, access token). Its text shows as `<redacted>` wherever it is
/// interpolated, logged, dumped (`dump()` and `Mirror` see no children) or reflected, so that it cannot
/// leak by accident; read ``value`` only where the credential is sent.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
