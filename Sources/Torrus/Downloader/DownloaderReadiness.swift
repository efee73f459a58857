/// What a downloader says about itself in `/readyz` (the aria2 adapter: its version and whether
/// push is connected). Lives with the Downloader so the API need not know aria2's types.
public struct DownloaderReadiness: Sendable, Encodable {
    public var ready: Bool
    public var error: String?
    public var version: String?
    public var pushConnected: Bool
    public var webSocketSupported: Bool

    public init(ready: Bool, error: String? = nil, version: String? = nil, pushConnected: Bool, webSocketSupported: Bool) {
        self.ready = ready
        self.error = error
        self.version = version
        self.pushConnected = pushConnected
        self.webSocketSupported = webSocketSupported
    }
}
