import Glibc

/// Hands all of `bytes` to `write` (a `write(2)` or `send(2)` on one descriptor, given the rest of the
/// bytes), going on after a partial write and after a call interrupted by a signal. Returns false when
/// the descriptor takes no more (`errno` tells why).
public func writeAll(_ bytes: UnsafeRawBufferPointer, with write: (UnsafeRawPointer, Int) -> Int) -> Bool {
    var written = 0
    while written < bytes.count {
        let count = write(bytes.baseAddress! + written, bytes.count - written)
        if count > 0 {
            written += count
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            return false
        }
    }
    return true
}
