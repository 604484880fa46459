/// Where an app signs in and where Graph answers: the global service or a national cloud.
/// Base URLs are plain configuration, so the Graph sandbox is just another cloud.
public struct GraphCloud: Sendable, Hashable {
    /// The Microsoft Entra authority host, e.g. `https://login.microsoftonline.com`.
    public var authority: String
    /// The Graph service root without version, e.g. `https://graph.microsoft.com`.
    public var graph: String
    /// The resource in the client-credentials scope; usually the same as ``graph``.
    public var resource: String

    public init(authority: String, graph: String, resource: String? = nil) {
        self.authority = authority.trimmingTrailingSlashes
        self.graph = graph.trimmingTrailingSlashes
        self.resource = (resource ?? graph).trimmingTrailingSlashes
    }

    /// The scope requested with client credentials: `{resource}/.default`.
    public var scope: String { "\(resource)/.default" }

    /// Microsoft Graph global service.
    public static let global = GraphCloud(authority: "https://login.microsoftonline.com", graph: "https://graph.microsoft.com")
    /// Microsoft Graph for US Government L4 (GCC High).
    public static let usGovernmentL4 = GraphCloud(authority: "https://login.microsoftonline.us", graph: "https://graph.microsoft.us")
    /// Microsoft Graph for US Government L5 (DoD).
    public static let usGovernmentL5 = GraphCloud(authority: "https://login.microsoftonline.us", graph: "https://dod-graph.microsoft.us")
    /// Microsoft Graph China operated by 21Vianet.
    public static let china = GraphCloud(authority: "https://login.chinacloudapi.cn", graph: "https://microsoftgraph.chinacloudapi.cn")

    /// A preset by name: `global`, `usgov-l4`, `usgov-l5`, `china`.
    public static func named(_ name: String) -> GraphCloud? {
        switch name.lowercased() {
        case "global": return .global
        case "usgov-l4", "gcc-high": return .usGovernmentL4
        case "usgov-l5", "dod": return .usGovernmentL5
        case "china", "21vianet": return .china
        default: return nil
        }
    }
}

extension String {
    var trimmingTrailingSlashes: String {
        var s = self
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }
}
