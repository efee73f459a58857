import Foundation

/// Violations of the store's uniqueness rules. They signal a bug in the caller (ids and GIDs are
/// generated), so the API reports them as 500s, never as user errors.
public enum RepoError: Error, Sendable, Equatable {
    case duplicateID(UUID)
    case duplicateGID(GID)
    /// A stored row that cannot be read back (edited or damaged database file); carries its id.
    case corruptRow(String)
}
