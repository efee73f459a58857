/// What a target receives, in the Standard Webhooks shape: `{"data":…,"sequence":…,"timestamp":…,
/// "type":…}` (keys sorted, as everywhere in the API). `data` is the event's data as
/// `GET /v1/events` sends it; `timestamp` is when the change was committed; `sequence` is the
/// event's id in the log. The message id (`webhook-id`) is `evt_<sequence>`, the same on retries.
enum WebhookMessage {
    static func id(of event: LoggedEvent) -> String { "evt_\(event.sequence)" }

    static func body(of event: LoggedEvent) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(event.data.count + 96)
        out.append(contentsOf: #"{"data":"#.utf8)
        out.append(contentsOf: event.data)
        out.append(contentsOf: #","sequence":"#.utf8)
        JSONText.number(event.sequence, to: &out)
        out.append(contentsOf: #","timestamp":""#.utf8)
        RFC3339.append(microsecondsSince1970: event.at, to: &out)
        out.append(contentsOf: #"","type":""#.utf8)
        out.append(contentsOf: event.type.rawValue.utf8)
        out.append(contentsOf: #""}"#.utf8)
        return out
    }

    /// `POST /v1/webhooks/{id}/test`: type `webhook.test`, no sequence, a message id of its own.
    static func ping(webhook: Webhook, at microseconds: Int64) -> [UInt8] {
        var out = Array(#"{"data":{"at":""#.utf8)
        RFC3339.append(microsecondsSince1970: microseconds, to: &out)
        out.append(contentsOf: #"","webhook":""#.utf8)
        webhook.id.appendLowercased(to: &out)
        out.append(contentsOf: #""},"timestamp":""#.utf8)
        RFC3339.append(microsecondsSince1970: microseconds, to: &out)
        out.append(contentsOf: #"","type":"webhook.test"}"#.utf8)
        return out
    }
}
