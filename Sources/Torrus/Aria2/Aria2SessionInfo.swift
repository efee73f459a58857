/// What Torrus reads of `aria2.getSessionInfo`: a new id means aria2 restarted.
struct Aria2SessionInfo: Decodable {
    var sessionId: String?
}
