import HummingbirdCore
import NIOCore

/// What `LimitedHTTP1Channel.setup` hands to `handle`: the HTTP channel of an admitted
/// connection, or nothing for one over the cap (its pipeline answers and closes by itself).
struct LimitedHTTP1Connection: ServerChildChannelValue {
    let channel: any Channel
    let http: HTTP1Channel.Value?
}
