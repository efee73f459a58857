import Foundation

/// What one client of `/v1/events` asked to see: `?types=` and `?download=`. Empty sets mean
/// everything. A download filter applies to download events; the downloader's own events are
/// chosen by type only (a client following one download still hears that aria2 went away).
public struct EventFilter: Sendable, Equatable {
    public var types: Set<EventType> = []
    public var downloads: Set<UUID> = []

    public init(types: Set<EventType> = [], downloads: Set<UUID> = []) {
        self.types = types
        self.downloads = downloads
    }

    var acceptsAll: Bool { types.isEmpty && downloads.isEmpty }

    public func accepts(_ event: LoggedEvent) -> Bool {
        if !types.isEmpty, !types.contains(event.type) { return false }
        if !downloads.isEmpty, let id = event.downloadID, !downloads.contains(id) { return false }
        return true
    }
}
