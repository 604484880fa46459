import Glibc

/// MIME charsets (RFC 2045's `charset`, RFC 2047's and RFC 2231's), decoded with the C library's
/// iconv: every charset glibc knows (the ISO-8859 and Windows code pages, ISO-2022-JP, Shift_JIS,
/// EUC-JP, GB2312, Big5, KOI8-R …), without linking ICU into the executable.
enum Charset {
    /// `bytes` in `charset` (case-insensitive) as text; nil when the charset is unknown or the bytes
    /// are not valid in it. US-ASCII is read as UTF-8, so that the UTF-8 some senders put in a part
    /// labelled ASCII is kept.
    static func decode(_ bytes: [UInt8], charset: String) -> String? {
        let name = charset.lowercased()
        if name == "utf-8" || name == "utf8" || name == "us-ascii" || name == "ascii" {
            return String(validating: bytes, as: UTF8.self)
        }
        let converter = iconv_open("UTF-8", name)
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 4 + 16)
        let capacity = output.count
        let unused: Int? = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                var inputPointer = inputBuffer.baseAddress
                var inputLeft = inputBuffer.count
                var outputPointer = outputBuffer.baseAddress
                var outputLeft = capacity
                guard iconv(converter, &inputPointer, &inputLeft, &outputPointer, &outputLeft) != -1,
                      iconv(converter, nil, nil, &outputPointer, &outputLeft) != -1 else { return nil }
                return outputLeft
            }
        }
        guard let unused else { return nil }
        output.removeLast(unused)
        return String(validating: output.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
