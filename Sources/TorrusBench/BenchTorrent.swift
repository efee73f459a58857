import Foundation

/// The upload round's `.torrent` files: single-file torrents of about `size` bytes, nearly all of
/// it `pieces` (20-byte SHA-1s, here random bytes: nobody checks them before the download starts),
/// the size of the metadata of a ~13 GB file at 256 KiB pieces. `name` goes into the info
/// dictionary, so each name is another info-hash: another download, not an idempotent 200.
enum BenchTorrent {
    static let pieceLength = 256 << 10

    static func make(name: String, size: Int, random: inout SplitMix64) -> [UInt8] {
        // Keys in byte order, as bencode wants them: announce < info; length < name < piece length < pieces.
        let pieceCount = max(1, (size - 200 - name.utf8.count) / 20)
        var pieces = [UInt8](repeating: 0, count: pieceCount * 20)
        pieces.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset + 8 <= buffer.count {
                buffer.storeBytes(of: random.next(), toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            while offset < buffer.count {
                buffer[offset] = UInt8(truncatingIfNeeded: random.next())
                offset += 1
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(pieces.count + 300)
        func string(_ bytes: some Collection<UInt8>) {
            out += Array("\(bytes.count):".utf8)
            out += bytes
        }
        func integer(_ value: Int) { out += Array("i\(value)e".utf8) }
        out += Array("d".utf8)
        string(Array("announce".utf8))
        string(Array("http://127.0.0.1:9/announce".utf8))
        string(Array("info".utf8))
        out += Array("d".utf8)
        string(Array("length".utf8))
        integer(pieceCount * pieceLength)
        string(Array("name".utf8))
        string(Array(name.utf8))
        string(Array("piece length".utf8))
        integer(pieceLength)
        string(Array("pieces".utf8))
        string(pieces)
        out += Array("ee".utf8)
        return out
    }

    /// `POST /v1/downloads` as JSON: the torrent as base64, paused.
    static func jsonBody(_ torrent: [UInt8]) -> Data {
        Data(#"{"torrent":"\#(Data(torrent).base64EncodedString())","desiredStatus":"Paused"}"#.utf8)
    }

    /// `POST /v1/downloads` as `multipart/form-data`: a `request` part (paused) and the `torrent` part.
    static func formBody(_ torrent: [UInt8], boundary: String) -> Data {
        var body = Data()
        body.append(
            Data(
                ("--\(boundary)\r\nContent-Disposition: form-data; name=\"request\"\r\nContent-Type: application/json\r\n\r\n"
                    + #"{"desiredStatus":"Paused"}"# + "\r\n--\(boundary)\r\n"
                    + "Content-Disposition: form-data; name=\"torrent\"; filename=\"bench.torrent\"\r\n"
                    + "Content-Type: application/x-bittorrent\r\n\r\n").utf8
            )
        )
        body.append(contentsOf: torrent)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        return body
    }

    /// aria2's own `addTorrent` (paused), as torrusd sends it minus Torrus's options.
    static func addTorrentCall(_ torrent: [UInt8], secret: String, id: Int) -> Data {
        Data(
            (#"{"jsonrpc":"2.0","id":"\#(id)","method":"aria2.addTorrent","params":["token:\#(secret)","\#(Data(torrent).base64EncodedString())","#
                + #"[],{"pause":"true"}]}"#).utf8
        )
    }
}
