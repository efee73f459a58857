import Crypto
import Foundation

/// The Standard Webhooks signature (standardwebhooks.com): `v1,` and the base64 HMAC-SHA256 of
/// `<webhook-id>.<webhook-timestamp>.<body>` under the target's key, so receivers verify with the
/// convention's libraries (`standardwebhooks` on PyPI, `svix`, …).
public enum WebhookSignature {
    public static func sign(messageID: String, timestamp: Int64, body: [UInt8], key: [UInt8]) -> String {
        var signed = Array("\(messageID).\(timestamp).".utf8)
        signed.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
        return "v1," + Data(code).base64EncodedString()
    }

    /// The headers of one attempt: the id stays the same on every retry (receivers deduplicate
    /// by it); the timestamp, and so the signature, is the attempt's.
    static func headers(messageID: String, timestamp: Int64, body: [UInt8], secret: WebhookSecret) -> [String] {
        [
            "webhook-id: \(messageID)",
            "webhook-timestamp: \(timestamp)",
            "webhook-signature: \(sign(messageID: messageID, timestamp: timestamp, body: body, key: secret.key))",
        ]
    }
}
