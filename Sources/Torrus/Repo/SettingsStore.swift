/// Where `GlobalSettings` are kept across restarts.
public protocol SettingsStore: Sendable {
    func globalSettings() async throws -> GlobalSettings
    func saveGlobalSettings(_ settings: GlobalSettings) async throws
}
