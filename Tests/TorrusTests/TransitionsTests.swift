import Testing

@testable import Torrus

@Suite struct TransitionsTests {
    typealias Row = (DownloadStatus, DesiredStatus, RequestedStatus, TransitionPlan?)

    /// The README's transition table, row by row; nil means 409 Conflict.
    static let table: [Row] = [
        (.queued, .queued, .active, .recordDesired),
        (.queued, .active, .active, .unchanged),
        (.active, .active, .active, .unchanged),
        (.paused, .paused, .active, .command(.resume)),
        (.paused, .active, .active, .command(.resume)),
        (.failed, .active, .active, .command(.retry)),
        (.cancelled, .cancelled, .active, .command(.retry)),
        (.complete, .active, .active, nil),

        (.queued, .queued, .paused, .command(.pause)),
        (.active, .active, .paused, .command(.pause)),
        (.active, .paused, .paused, .command(.pause)),
        (.paused, .paused, .paused, .unchanged),
        (.paused, .active, .paused, .recordDesired),
        (.complete, .active, .paused, nil),
        (.failed, .active, .paused, nil),
        (.cancelled, .cancelled, .paused, nil),

        (.queued, .queued, .cancelled, .command(.cancel)),
        (.active, .active, .cancelled, .command(.cancel)),
        (.paused, .paused, .cancelled, .command(.cancel)),
        (.cancelled, .cancelled, .cancelled, .unchanged),
        (.cancelled, .active, .cancelled, .recordDesired),
        (.complete, .active, .cancelled, nil),
        (.failed, .active, .cancelled, nil),
    ]

    @Test(arguments: 0..<table.count) func row(_ index: Int) {
        let (status, desired, requested, expected) = Self.table[index]
        switch Transitions.plan(status: status, desired: desired, requested: requested) {
        case .success(let plan):
            #expect(plan == expected, "\(status) + \(requested)")
        case .failure(let error):
            #expect(expected == nil, "\(status) + \(requested): unexpected \(error)")
            #expect(error.code == .conflict)
            #expect(error.message.contains(status.rawValue))
        }
    }

    @Test func resumeIsAnAliasOfActive() {
        #expect(RequestedStatus(wireValue: "Resume") == .active)
        #expect(RequestedStatus(wireValue: "Active") == .active)
        #expect(RequestedStatus(wireValue: "Queued") == nil)
        #expect(RequestedStatus(wireValue: "paused") == nil)
    }
}
