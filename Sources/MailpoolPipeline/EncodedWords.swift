import FoundationEssentials

/// RFC 2047 encoded words (`=?utf-8?B?…?=`, `=?iso-8859-1?Q?…?=`) in header text, decoded. Whitespace
/// between two adjacent encoded words is dropped, as the RFC says; an encoded word in an unknown
/// charset or malformed stays as written.
enum EncodedWords {
    static func decode(_ text: String) -> String {
        guard text.contains("=?") else { return text }
        var result = ""
        var pendingSpace = ""
        var lastWasEncoded = false
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.hasPrefix("=?"), let (decoded, after) = word(rest) {
                if !lastWasEncoded { result += pendingSpace }
                result += decoded
                pendingSpace = ""
                lastWasEncoded = true
                rest = after
                continue
            }
            let character = rest.removeFirst()
            if character == " " || character == "\t" {
                pendingSpace.append(character)
                continue
            }
            result += pendingSpace
            pendingSpace = ""
            result.append(character)
            lastWasEncoded = false
        }
        return result + pendingSpace
    }

    /// One encoded word at the start of `text`, and what follows it.
    private static func word(_ text: Substring) -> (String, Substring)? {
        let body = text.dropFirst(2)
        guard let q1 = body.firstIndex(of: "?") else { return nil }
        let charset = body[..<q1].split(separator: "*").first.map { $0.lowercased() } ?? ""
        let afterCharset = body[body.index(after: q1)...]
        guard let q2 = afterCharset.firstIndex(of: "?"), afterCharset.distance(from: afterCharset.startIndex, to: q2) == 1 else { return nil }
        let encoding = afterCharset[afterCharset.startIndex].uppercased()
        let payloadStart = afterCharset.index(after: q2)
        guard let end = afterCharset[payloadStart...].firstRange(of: "?=") else { return nil }
        let payload = afterCharset[payloadStart..<end.lowerBound]
        guard !payload.contains(" ") else { return nil }
        let bytes: [UInt8]?
        switch encoding {
        case "B": bytes = Data(base64Encoded: String(payload).padded).map(Array.init)
        case "Q": bytes = quoted(payload)
        default: bytes = nil
        }
        guard let bytes, let decoded = Charset.decode(bytes, charset: charset) else { return nil }
        return (decoded, afterCharset[end.upperBound...])
    }

    /// The "Q" encoding: `_` is a space, `=XX` a byte.
    private static func quoted(_ text: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "_"): bytes.append(0x20)
            case UInt8(ascii: "="):
                guard iterator.count >= 2, let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            default: bytes.append(byte)
            }
        }
        return bytes
    }
}

extension String {
    /// Base64 text with the `=` padding Foundation insists on.
    var padded: String {
        let remainder = count % 4
        return remainder == 0 ? self : self + String(repeating: "=", count: 4 - remainder)
    }
}
