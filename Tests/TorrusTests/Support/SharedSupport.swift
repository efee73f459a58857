/// The helpers both test targets use (`TemporaryDirectory`, `eventually`, `CapturedLogs`, `API`),
/// visible in every file of this target.
@_exported import TorrusTestSupport
