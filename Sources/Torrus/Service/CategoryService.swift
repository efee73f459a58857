/// `/v1/categories`: the categories in use with their counts, and each one's default target
/// directory — where a download of that category goes when its create names no `targetPath`.
public struct CategoryService: Sendable {
    public struct Category: Sendable, Equatable {
        public var name: String
        public var count: Int
        public var targetPath: String?
    }

    private let repo: any DownloadReader
    private let store: any CategoryStore
    private let roots: DownloadRoots

    public init(repo: any DownloadReader, store: any CategoryStore, roots: DownloadRoots) {
        self.repo = repo
        self.store = store
        self.roots = roots
    }

    /// Every category in use or with a default, by name.
    public func list() async throws -> [Category] {
        let counts = try await repo.countByCategory()
        let paths = try await store.categoryPaths()
        return Set(counts.keys).union(paths.keys).sorted().map { Category(name: $0, count: counts[$0] ?? 0, targetPath: paths[$0]) }
    }

    public func get(_ name: String) async throws -> Category {
        try DownloadOptionRules.validateLabel(name, field: "The category name")
        guard let category = try await list().first(where: { $0.name == name }) else {
            throw TorrusError.notFound("No download carries category '\(name)', and it has no default targetPath.")
        }
        return category
    }

    /// Sets the default, checked as a create's `targetPath` is: absolute, inside a download root,
    /// no symbolic link on the way (the directory is made now, as a create makes it).
    public func setTargetPath(_ name: String, _ targetPath: String) async throws -> Category {
        try DownloadOptionRules.validateLabel(name, field: "The category name")
        let path = try roots.resolve(targetPath)
        try roots.prepare(path)
        try await store.setCategoryPath(name, to: path)
        return try await get(name)
    }

    /// Removes the default; the downloads keep their category.
    public func removeTargetPath(_ name: String) async throws {
        try DownloadOptionRules.validateLabel(name, field: "The category name")
        guard try await store.setCategoryPath(name, to: nil) else {
            throw TorrusError.notFound("Category '\(name)' has no default targetPath.")
        }
    }
}
