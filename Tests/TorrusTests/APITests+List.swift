import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// The unpaged list: one buffer with its length up to a page, streamed page by page beyond.
extension APITests {
    @Test(arguments: [0, 1, DownloadsController.listPage, DownloadsController.listPage * 2 + 3])
    func theListIsEveryDownloadInOrderWhateverItsLength(_ count: Int) async throws {
        let base = Date(millisecondsSince1970: 1_700_000_000_000)
        for index in 0..<count {
            _ = try await repo.insert(makeDownload(createdAt: base.addingTimeInterval(Double(index / 3))))
        }
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/v1/downloads", method: .get, headers: Self.auth)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let list = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
            #expect(list.compactMap { $0["id"] as? String } == (try await repo.list().map(\.id.lowercasedString)))
            if count < DownloadsController.listPage {
                #expect(response.headers[.contentLength] == String(response.body.readableBytes))
            }
        }
    }
}
