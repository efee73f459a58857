import Hummingbird

/// Per-request state shared by the middleware and the handlers.
public struct TorrusRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The `X-Request-ID` echoed back or generated for this request.
    public var requestID: String = ""

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Request bodies are JSON commands; nothing legitimate comes near 1 MiB.
    public var maxUploadSize: Int { JSONBody.maxSize }
}
