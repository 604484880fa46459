import MailpoolCore

/// How to reach the broker and how the connection behaves. Defaults suit a worker on a local network.
public struct AMQPConnectionOptions: Sendable {
    /// Broker nodes, tried in order; on failure the next one is tried (a cluster's nodes).
    public var urls: [AMQPURL]
    /// Shown in the management UI and `rabbitmqctl list_connections` (client property `connection_name`).
    public var connectionName: String
    /// Heartbeat interval in seconds negotiated with the broker (the lower of the two wins). 0 disables.
    public var heartbeat: Int
    /// TLS settings used for `amqps://` URLs.
    public var tls: AMQPTLSOptions
    /// Limit on connecting and logging in to one node, in seconds.
    public var connectTimeout: Double
    /// Limit on a synchronous broker call (declare, consume), in seconds.
    public var rpcTimeout: Double
    /// Backoff between reconnect attempts after the connection is lost.
    public var reconnectBackoff: Backoff

    public init(
        urls: [AMQPURL],
        connectionName: String = "mailpool",
        heartbeat: Int = 15,
        tls: AMQPTLSOptions = AMQPTLSOptions(),
        connectTimeout: Double = 10,
        rpcTimeout: Double = 30,
        reconnectBackoff: Backoff = Backoff(initial: 0.1, maximum: 10)
    ) {
        self.urls = urls
        self.connectionName = connectionName
        self.heartbeat = heartbeat
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.rpcTimeout = rpcTimeout
        self.reconnectBackoff = reconnectBackoff
    }

    /// Options for a comma-separated list of URLs, e.g. `amqp://a:5672,amqp://b:5672`.
    public init(urlList: String, connectionName: String = "mailpool") throws(AMQPError) {
        var urls: [AMQPURL] = []
        for part in urlList.split(separator: ",") {
            urls.append(try AMQPURL(part.trimming { $0 == " " }))
        }
        guard !urls.isEmpty else { throw .invalidURL("no broker URL given") }
        self.init(urls: urls, connectionName: connectionName)
    }
}

/// TLS for `amqps://`: peer and host name verification are on unless turned off explicitly.
public struct AMQPTLSOptions: Sendable {
    /// PEM bundle of CAs trusted for the broker's certificate; nil uses the system's default store.
    public var caFile: String?
    /// Client certificate and key (PEM) for brokers that require mutual TLS.
    public var certificateFile: String?
    public var keyFile: String?
    public var verifyPeer: Bool
    public var verifyHostname: Bool

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
                verifyPeer: Bool = true, verifyHostname: Bool = true) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.verifyPeer = verifyPeer
        self.verifyHostname = verifyHostname
    }
}
