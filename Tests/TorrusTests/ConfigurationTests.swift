import Foundation
import Testing

@testable import Torrus

@Suite struct ConfigurationTests {
    static let token = ["TORRUS_API_TOKEN": "t"]

    @Test func defaults() throws {
        let configuration = try TorrusConfiguration(environment: Self.token)
        #expect(configuration.listenHost == "0.0.0.0")
        #expect(configuration.listenPort == 9090)
        #expect(configuration.storage == .sqlite)
        #expect(configuration.client == .aria2)
        #expect(configuration.aria2RPCURL == nil)
        #expect(configuration.aria2Executable == "aria2c")
        #expect(configuration.aria2PollInterval == .milliseconds(1000))
        #expect(configuration.logFormat == .text)
        #expect(configuration.httpLimits.headerTimeout == .milliseconds(10_000))
        #expect(configuration.httpLimits.bodyTimeout == .milliseconds(30_000))
        #expect(configuration.httpLimits.idleTimeout == .milliseconds(60_000))
        #expect(configuration.httpLimits.maxConnections == 4096)
        #expect(configuration.effectiveDownloadRoots.count == 1)
        #expect(configuration.effectiveDownloadRoots[0].hasSuffix("/data/downloads"))
    }

    @Test func everyVariableIsRead() throws {
        let configuration = try TorrusConfiguration(environment: [
            "TORRUS_API_TOKEN": "secret",
            "TORRUS_LISTEN": "127.0.0.1:8081",
            "TORRUS_HTTP_HEADER_TIMEOUT_MS": "1500",
            "TORRUS_HTTP_BODY_TIMEOUT_MS": "2500",
            "TORRUS_HTTP_IDLE_TIMEOUT_MS": "3500",
            "TORRUS_HTTP_MAX_CONNECTIONS": "100",
            "TORRUS_DATA_DIR": "/var/lib/torrus",
            "TORRUS_STORAGE": "memory",
            "TORRUS_DOWNLOAD_ROOTS": "/srv/a:/srv/b",
            "TORRUS_CLIENT": "noop",
            "TORRUS_NOOP_DURATION_MS": "50",
            "ARIA2_RPC_URL": "http://127.0.0.1:6800/jsonrpc",
            "ARIA2_SECRET": "s",
            "ARIA2_POLL_MS": "250",
            "ARIA2_TIMEOUT_MS": "900",
            "LOG_FORMAT": "JSON",
            "LOG_LEVEL": "debug",
            "TORRUS_ARIA2C": "/opt/aria2/bin/aria2c",
            "TORRUS_ARIA2C_ARGS": "--max-concurrent-downloads=10  --seed-ratio=0",
        ])
        #expect(configuration.apiToken == "secret")
        #expect(configuration.listenHost == "127.0.0.1")
        #expect(configuration.listenPort == 8081)
        #expect(configuration.httpLimits.headerTimeout == .milliseconds(1500))
        #expect(configuration.httpLimits.bodyTimeout == .milliseconds(2500))
        #expect(configuration.httpLimits.idleTimeout == .milliseconds(3500))
        #expect(configuration.httpLimits.maxConnections == 100)
        #expect(configuration.dataDirectory == "/var/lib/torrus")
        #expect(configuration.storage == .memory)
        #expect(configuration.effectiveDownloadRoots == ["/srv/a", "/srv/b"])
        #expect(configuration.noopDuration == .milliseconds(50))
        #expect(configuration.aria2RPCURL == "http://127.0.0.1:6800/jsonrpc")
        #expect(configuration.aria2Secret == "s")
        #expect(configuration.aria2PollInterval == .milliseconds(250))
        #expect(configuration.aria2Timeout == .milliseconds(900))
        #expect(configuration.logFormat == .json)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.aria2Executable == "/opt/aria2/bin/aria2c")
        #expect(configuration.aria2ExtraArguments == ["--max-concurrent-downloads=10", "--seed-ratio=0"])
    }

    @Test func listenAcceptsIPv6AndBarePorts() throws {
        #expect(try TorrusConfiguration.parseListen("[::1]:9000") == ("::1", 9000))
        #expect(try TorrusConfiguration.parseListen(":9000") == ("0.0.0.0", 9000))
    }

    @Test func aTokenIsRequiredUnlessNoAuthIsExplicit() throws {
        #expect(throws: ConfigurationError(.apiToken, "is required (or start with --insecure-no-auth for local development)")) {
            try TorrusConfiguration(environment: [:])
        }
        let open = try TorrusConfiguration(environment: ["TORRUS_INSECURE_NO_AUTH": "true"])
        #expect(open.insecureNoAuth)
        #expect(open.apiToken == nil)
    }

    @Test(arguments: [
        ("TORRUS_LISTEN", "9090"),
        ("TORRUS_LISTEN", "host:99999"),
        ("TORRUS_HTTP_HEADER_TIMEOUT_MS", "0"),
        ("TORRUS_HTTP_BODY_TIMEOUT_MS", "slow"),
        ("TORRUS_HTTP_IDLE_TIMEOUT_MS", "-5"),
        ("TORRUS_HTTP_MAX_CONNECTIONS", "0"),
        ("TORRUS_HTTP_MAX_CONNECTIONS", "many"),
        ("TORRUS_STORAGE", "postgres"),
        ("TORRUS_DOWNLOAD_ROOTS", "/ok:relative"),
        ("TORRUS_CLIENT", "transmission"),
        ("TORRUS_NOOP_DURATION_MS", "-1"),
        ("ARIA2_RPC_URL", "localhost:6800"),
        ("ARIA2_POLL_MS", "fast"),
        ("ARIA2_TIMEOUT_MS", "0"),
        ("LOG_FORMAT", "xml"),
        ("LOG_LEVEL", "loud"),
        ("TORRUS_INSECURE_NO_AUTH", "maybe"),
        ("TORRUS_ARIA2C_ARGS", "--ok rm"),
    ])
    func badValuesNameTheVariable(_ key: String, _ value: String) {
        do {
            _ = try TorrusConfiguration(environment: Self.token.merging([key: value]) { $1 })
            Issue.record("\(key)=\(value) was accepted")
        } catch {
            #expect(error.key.rawValue == key)
            #expect(error.description.hasPrefix(key))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func secretsNeverAppearInErrors() {
        do {
            _ = try TorrusConfiguration(environment: ["TORRUS_API_TOKEN": "tok-123", "ARIA2_SECRET": "sec-456", "LOG_LEVEL": "x"])
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("tok-123"))
            #expect(!error.description.contains("sec-456"))
        }
    }
}
