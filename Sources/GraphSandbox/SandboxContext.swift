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

    /// Closes the connection the request came on, before any byte of the response is written.
    func dropConnection() async {
        try? await channel.close().get()
    }
}
