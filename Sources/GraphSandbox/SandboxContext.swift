import Hummingbird
import NIOCore

/// The sandbox's request context: Hummingbird's basic one and the request's channel, so that a fault
/// can drop the connection after the request was carried out.
struct SandboxContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Closes the connection the request came on, before any byte of the response is written. Over
    /// HTTP/2 the request's channel is a stream, whose parent is the connection (an HTTP/1.1 channel's
    /// parent is the listening socket, which has no parent), and the whole connection goes, with every
    /// other request on it — as when Graph drops a connection.
    func dropConnection() async {
        let connection = channel.parent?.parent != nil ? channel.parent! : channel
        try? await connection.close().get()
    }
}
