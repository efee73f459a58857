/// What Torrus reads of `aria2.getVersion`.
struct Aria2Version: Decodable {
    var version: String?
}
