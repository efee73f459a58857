import HTTPTypes

extension HTTPField.Name {
    /// On `GET /v1/downloads`: the sequence number of the event log the list reflects at least;
    /// follow `/v1/events` from it (`Last-Event-ID`) to miss nothing.
    static let torrusSequence = HTTPField.Name("Torrus-Sequence")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// Tells nginx not to buffer the event stream.
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
    /// RFC 8288: the next page of a paged list (`rel="next"`).
    static let link = HTTPField.Name("Link")!
}
