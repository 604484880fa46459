import FoundationEssentials

/// Where each value sits in a JSON text, so that one value can be replaced and every other byte kept
/// (member order, spacing, everything the user wrote). Parses strict JSON (RFC 8259).
struct JSONOutline {
    /// A value and the byte range it occupies.
    indirect enum Node {
        case object([(key: String, value: Node)], Range<Int>)
        case array([Node], Range<Int>)
        case scalar(Range<Int>)

        var range: Range<Int> {
            switch self {
            case .object(_, let range), .array(_, let range), .scalar(let range): range
            }
        }

        /// The member `key` of an object.
        func member(_ key: String) -> Node? {
            guard case .object(let members, _) = self else { return nil }
            return members.first { $0.key == key }?.value
        }
    }

    /// Why the text is not JSON.
    struct Malformed: Error {
        let offset: Int
    }

    let bytes: [UInt8]
    let root: Node

    init(_ text: String) throws(Malformed) {
        bytes = Array(text.utf8)
        var position = 0
        root = try Self.value(bytes, &position)
        Self.skipSpace(bytes, &position)
        guard position == bytes.count else { throw Malformed(offset: position) }
    }

    /// The text of a node, as written.
    func text(_ node: Node) -> String {
        String(decoding: bytes[node.range], as: UTF8.self)
    }

    /// A string scalar's value, escapes decoded.
    func string(_ node: Node) -> String? {
        guard case .scalar(let range) = node, bytes[range.lowerBound] == UInt8(ascii: "\"") else { return nil }
        return Self.decode(bytes[range])
    }

    /// One JSON string literal's value, escapes decoded (by Foundation's decoder).
    private static func decode(_ literal: ArraySlice<UInt8>) -> String? {
        try? JSONDecoder().decode(String.self, from: Data(literal))
    }

    private static func skipSpace(_ bytes: [UInt8], _ position: inout Int) {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private static func value(_ bytes: [UInt8], _ position: inout Int) throws(Malformed) -> Node {
        skipSpace(bytes, &position)
        guard position < bytes.count else { throw Malformed(offset: position) }
        let start = position
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var members: [(key: String, value: Node)] = []
            skipSpace(bytes, &position)
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object([], start..<position)
            }
            while true {
                let key = try value(bytes, &position)
                guard case .scalar(let keyRange) = key, bytes[keyRange.lowerBound] == UInt8(ascii: "\""),
                      let name = decode(bytes[keyRange]) else { throw Malformed(offset: key.range.lowerBound) }
                try expect(UInt8(ascii: ":"), bytes, &position)
                members.append((name, try value(bytes, &position)))
                if try separator(closing: UInt8(ascii: "}"), bytes, &position) { return .object(members, start..<position) }
            }
        case UInt8(ascii: "["):
            position += 1
            var elements: [Node] = []
            skipSpace(bytes, &position)
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array([], start..<position)
            }
            while true {
                elements.append(try value(bytes, &position))
                if try separator(closing: UInt8(ascii: "]"), bytes, &position) { return .array(elements, start..<position) }
            }
        case UInt8(ascii: "\""):
            position += 1
            while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
                position += bytes[position] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard position < bytes.count else { throw Malformed(offset: start) }
            position += 1
            return .scalar(start..<position)
        default:
            while position < bytes.count, !",]} \t\r\n".utf8.contains(bytes[position]) { position += 1 }
            guard position > start else { throw Malformed(offset: start) }
            return .scalar(start..<position)
        }
    }

    private static func expect(_ byte: UInt8, _ bytes: [UInt8], _ position: inout Int) throws(Malformed) {
        skipSpace(bytes, &position)
        guard position < bytes.count, bytes[position] == byte else { throw Malformed(offset: position) }
        position += 1
    }

    /// After a member or element: true at the closing bracket, false after a comma.
    private static func separator(closing: UInt8, _ bytes: [UInt8], _ position: inout Int) throws(Malformed) -> Bool {
        skipSpace(bytes, &position)
        guard position < bytes.count else { throw Malformed(offset: position) }
        let byte = bytes[position]
        position += 1
        if byte == closing { return true }
        guard byte == UInt8(ascii: ",") else { throw Malformed(offset: position - 1) }
        return false
    }
}
