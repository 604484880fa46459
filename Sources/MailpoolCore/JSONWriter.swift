/// Writes JSON text straight into bytes, for bodies built on a hot path, where `JSONEncoder`'s generic
/// machinery costs more than the request that carries them (the Graph draft of every notification;
/// the Graph sandbox's answers). Commas between members and elements are written as they come.
///
/// ```swift
/// var json = JSONWriter()
/// json.object { json in
///     json.member("subject", "CoA lot 4711")
///     json.key("toRecipients")
///     json.array(addresses) { json, address in json.object { $0.member("address", address) } }
/// }
/// ```
public struct JSONWriter: Sendable {
    /// The JSON text written so far, as UTF-8.
    public private(set) var bytes: [UInt8] = []
    /// True until the open object or array has its first member or element.
    private var first = true

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    /// An object whose members `members` writes (with ``key(_:)`` and a value, or ``member(_:_:)``).
    public mutating func object(_ members: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        first = true
        members(&self)
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    /// An array of `elements`, each written by `element` as one value.
    public mutating func array<Elements: Sequence>(_ elements: Elements, _ element: (inout JSONWriter, Elements.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        first = true
        for value in elements {
            separate()
            element(&self, value)
        }
        bytes.append(UInt8(ascii: "]"))
        first = false
    }

    /// A member's name; its value is written next.
    public mutating func key(_ name: String) {
        separate()
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A member with a string value.
    public mutating func member(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    /// A member with a Boolean value.
    public mutating func member(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// A string: `"` and `\` escaped, control characters as `\u00XX`, everything else as UTF-8
    /// (slashes are not escaped, as Graph writes them).
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case ..<0x20:
                bytes += "\\u00".utf8
                bytes += [byte].hexString.utf8
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func bool(_ flag: Bool) {
        bytes += (flag ? "true" : "false").utf8
    }

    public mutating func int(_ number: Int) {
        bytes += String(number).utf8
    }

    private mutating func separate() {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
    }
}
