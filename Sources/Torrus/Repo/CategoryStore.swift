/// Where each category's default target directory is kept (`PUT /v1/categories/{name}`).
public protocol CategoryStore: Sendable {
    /// Every category that has a default, by name.
    func categoryPaths() async throws -> [String: String]
    /// Sets (or with nil, removes) a category's default; returns whether it had one before.
    @discardableResult
    func setCategoryPath(_ name: String, to path: String?) async throws -> Bool
}
