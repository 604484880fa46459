import Glibc

/// A file opened for reading in chunks, closed when the reader is released.
public final class FileReader {
    private let descriptor: Int32
    private let path: String

    /// Opens `path`; nil when it cannot be opened.
    public init?(path: String) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        self.path = path
    }

    deinit {
        close(descriptor)
    }

    /// The next bytes of the file, at most `count`; empty at its end.
    public func read(upTo count: Int) throws(FileReadError) -> [UInt8] {
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            while true {
                let result = Glibc.read(descriptor, buffer.baseAddress, count)
                if result >= 0 {
                    initialized = result
                    return
                }
                guard errno == EINTR else {
                    failure = errno
                    return
                }
            }
        }
        guard failure == 0 else { throw FileReadError(path: path, reason: String(cString: strerror(failure))) }
        return bytes
    }
}

/// A read from a file failed.
public struct FileReadError: Error, CustomStringConvertible {
    /// The file.
    public let path: String
    /// The system's reason.
    public let reason: String

    public var description: String { "cannot read \(path): \(reason)" }
}
