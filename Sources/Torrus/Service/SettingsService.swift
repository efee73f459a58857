import Foundation
import Logging

/// `GET/PATCH /v1/settings`: global limits, told to the downloader first (a refusal changes
/// nothing), then stored — and applied again whenever aria2's push link comes up (`reapply`).
public struct SettingsService: Sendable {
    let store: any SettingsStore
    let downloader: any Downloader

    public init(store: any SettingsStore, downloader: any Downloader) {
        self.store = store
        self.downloader = downloader
    }

    func current() async throws -> GlobalSettings { try await store.globalSettings() }

    func change(_ change: GlobalSettings) async throws -> GlobalSettings {
        try change.validate()
        do {
            try await downloader.apply(change)
        } catch let error as TorrusError {
            throw error
        } catch {
            throw TorrusError.downloaderUnavailable("The downloader could not be reached: \(error)")
        }
        let merged = try await store.globalSettings().merging(change)
        try await store.saveGlobalSettings(merged)
        return merged
    }

    /// After aria2 (re)connects: it may be a new aria2c that never heard of them.
    static func reapply(_ store: any SettingsStore, to downloader: any Downloader, logger: Logger) async {
        do {
            let settings = try await store.globalSettings()
            guard !settings.isEmpty else { return }
            try await downloader.apply(settings)
            logger.info("Applied the stored global settings to aria2")
        } catch {
            logger.warning("Cannot apply the stored global settings to aria2", metadata: ["error": "\(error)"])
        }
    }
}
