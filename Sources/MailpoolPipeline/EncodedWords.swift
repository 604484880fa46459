import Foundation

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
        guard let end = afterCharset[payloadStart...].range(of: "?=") else { return nil }
        let payload = afterCharset[payloadStart..<end.lowerBound]
        guard !payload.contains(" "), let stringEncoding = Self.encoding(charset) else { return nil }
        let bytes: [UInt8]?
        switch encoding {
        case "B": bytes = Data(base64Encoded: String(payload).padded).map(Array.init)
        case "Q": bytes = quoted(payload)
        default: bytes = nil
        }
        guard let bytes, let decoded = String(data: Data(bytes), encoding: stringEncoding) else { return nil }
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

    /// A charset name (MIME's, case-insensitive) as a Foundation encoding, for those Foundation has.
    static func encoding(_ charset: String) -> String.Encoding? {
        switch charset.lowercased() {
        case "utf-8", "utf8": .utf8
        case "us-ascii", "ascii": .utf8  // ASCII is UTF-8; lenient with the 8-bit bytes some senders put in
        case "iso-8859-1", "latin1", "iso8859-1", "l1": .isoLatin1
        case "iso-8859-2", "latin2": .isoLatin2
        case "windows-1250", "cp1250": .windowsCP1250
        case "windows-1251", "cp1251": .windowsCP1251
        case "windows-1252", "cp1252": .windowsCP1252
        case "windows-1253", "cp1253": .windowsCP1253
        case "windows-1254", "cp1254": .windowsCP1254
        case "iso-2022-jp": .iso2022JP
        case "shift_jis", "shift-jis", "sjis": .shiftJIS
        case "euc-jp": .japaneseEUC
        case "utf-16": .utf16
        default: nil
        }
    }
}

extension String {
    /// Base64 text with the `=` padding Foundation insists on.
    var padded: String {
        let remainder = count % 4
        return remainder == 0 ? self : self + String(repeating: "=", count: 4 - remainder)
    }
}
