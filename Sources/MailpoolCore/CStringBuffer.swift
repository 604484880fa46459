extension Array where Element == CChar {
    /// The text a C function wrote into this buffer (libcurl's error buffer, `gethostname`'s name), up
    /// to its terminating NUL, or all of it when the function filled it without one.
    public var textUpToNUL: String {
        String(decoding: prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
