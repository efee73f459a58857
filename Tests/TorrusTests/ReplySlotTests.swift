import Foundation
import Testing

@testable import Torrus

@Suite struct ReplySlotTests {
    @Test(.timeLimit(.minutes(1))) func aCancelledWaitEndsAtOnceWithoutAnAnswer() async throws {
        let slot = ReplySlot()
        let waiter = Task { try await slot.wait() }
        try await Task.sleep(for: .milliseconds(20))  // let it suspend (a cancel before works too)
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
    }

    @Test(.timeLimit(.minutes(1))) func anAnswerBeforeTheWaitIsKept() async throws {
        let slot = ReplySlot()
        slot.fulfil(.success([1, 2]))
        #expect(try await slot.wait() == [1, 2])
    }
}
