import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization

/// Every request the tests make through HummingbirdTesting, and the response they got, for the
/// contract check (`Tests/Support/contract.py check`): when `TORRUS_CONTRACT_LOG` names a
/// directory, each exchange is appended to `contract-<pid>.jsonl` there as one JSON line, whole
/// lines under a lock (tests run concurrently). `scripts/test.sh` sets it and runs the check.
package enum ContractLog {
    private static let file: Mutex<FileHandle?> = Mutex(open())

    private static func open() -> FileHandle? {
        guard let directory = ProcessInfo.processInfo.environment["TORRUS_CONTRACT_LOG"], !directory.isEmpty else { return nil }
        let path = "\(directory)/contract-\(ProcessInfo.processInfo.processIdentifier).jsonl"
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return nil }
        handle.seekToEndOfFile()
        return handle
    }

    /// False around requests to routes that are not the API's (a test's own router).
    @TaskLocal package static var recording = true

    /// Whether exchanges are recorded.
    package static var enabled: Bool { recording && file.withLock { $0 != nil } }

    /// Appends one exchange. The body is kept as text when it is JSON or short plain text.
    package static func record(method: HTTPRequest.Method, uri: String, response: TestResponse) {
        guard enabled else { return }
        var headers: [String: String] = [:]
        for field in response.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        let contentType = response.headers[.contentType] ?? ""
        let textual = contentType.contains("json") || (contentType.hasPrefix("text/plain") && response.body.readableBytes <= 4096)
        record(
            method: method.rawValue,
            uri: uri,
            status: response.status.code,
            headers: headers,
            body: textual ? String(buffer: response.body) : nil,
            bodyLength: response.body.readableBytes
        )
    }

    /// Appends one exchange seen by a client of its own (a raw socket). `body` nil: not recorded.
    package static func record(method: String, uri: String, status: Int, headers: [String: String], body: String?, bodyLength: Int) {
        guard enabled else { return }
        let line: [String: Any] = [
            "method": method,
            "uri": uri,
            "status": status,
            "headers": headers,
            "body": body ?? NSNull(),
            "bodyLength": bodyLength,
        ]
        guard var data = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(UInt8(ascii: "\n"))
        file.withLock { $0?.write(data) }
    }
}

/// A test client that records each exchange in the `ContractLog`.
package struct RecordingTestClient: TestClientProtocol {
    let base: any TestClientProtocol

    package var port: Int? { base.port }

    package func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        let response = try await base.executeRequest(uri: uri, method: method, headers: headers, body: body)
        ContractLog.record(method: method, uri: uri, response: response)
        return response
    }
}

extension Application {
    /// HummingbirdTesting's `test`, with the client recording every exchange for the contract
    /// check. Preferred by the compiler over the protocol's own (this is the concrete type), so
    /// every `app.test(.router) { client in … }` in the tests records without a change.
    package func test<Value>(
        _ setup: TestingSetup,
        _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        try await runRecorded(self, setup, test)
    }
}

/// Calls the protocol's `test`: generic over the application, so the overload above is not seen.
private func runRecorded<App: ApplicationProtocol, Value>(
    _ app: App,
    _ setup: TestingSetup,
    _ test: @Sendable (any TestClientProtocol) async throws -> Value
) async throws -> Value {
    try await app.test(setup) { client in try await test(RecordingTestClient(base: client)) }
}
