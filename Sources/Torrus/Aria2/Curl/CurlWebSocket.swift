import CCurl
import Glibc
import Synchronization

/// One WebSocket connection over libcurl's native WebSocket API (CURLOPT_CONNECT_ONLY = 2,
/// `curl_ws_send` / `curl_ws_recv`), driven by one dedicated thread that polls the socket
/// together with a wake-up pipe. One instance is one connection: to reconnect, make a new one.
///
/// Thread rule: the easy handle, the socket and all transfer state are touched only by the
/// connection's own thread (`Connection.run`). Other threads only queue work under a lock and
/// write to the wake-up pipe. That rule is what makes `@unchecked Sendable` sound here.
///
/// Liveness: a ping is sent every `pingInterval` (never in the middle of a data frame); a pong
/// missing for `pongTimeout`, EOF, a close frame, a receive/send error or a `close()` kills the
/// connection. Death is reported once: pending and later `send`s throw `CurlError.closed`,
/// `closed()` returns the reason. Pings from the server are answered by libcurl itself
/// (auto-pong is on by default in libcurl 8.14 and the ping is not surfaced), so this class
/// never sends a pong of its own.
///
/// Public so that the benchmark (`torrus-bench`) can listen to aria2 on its own connection.
public final class CurlWebSocket: @unchecked Sendable {
    private let connection: Connection

    /// - Parameters:
    ///   - url: `ws://host:port/path`. Userinfo is allowed but never appears in errors.
    ///   - connectTimeout: bound for TCP connect plus the HTTP upgrade.
    ///   - pingInterval: time between pings; zero or negative disables pings (and pong checks).
    ///   - pongTimeout: how long a ping may stay unanswered before the connection is dead.
    ///   - onMessage: called with each complete text message, in order, on the connection's
    ///     thread. It must not block (hand the bytes over and return); it may call `send`.
    public init(
        url: String,
        connectTimeout: Duration,
        pingInterval: Duration,
        pongTimeout: Duration,
        onMessage: @escaping @Sendable ([UInt8]) -> Void
    ) {
        Curl.initializeOnce()
        connection = Connection(
            url: url,
            connectTimeout: connectTimeout,
            pingInterval: pingInterval,
            pongTimeout: pongTimeout,
            onMessage: onMessage
        )
    }

    deinit {
        close()
    }

    /// Starts the connection's thread and completes once the WebSocket upgrade succeeded.
    /// Throws `CurlError.transport` (e.g. connection refused, bad upgrade response),
    /// `CurlError.timeout` after `connectTimeout`, or `CurlError.closed` if `close()` came
    /// first or `connect()` was already called. Call it once.
    public func connect() async throws {
        try await connection.connect()
    }

    /// Sends one text message; resumes once libcurl took all of it (a partial send is resumed
    /// from where it stopped). Throws `CurlError.closed` if the connection is or becomes dead
    /// before the message is fully written. Messages go out in call order.
    public func send(_ text: [UInt8]) async throws {
        try await connection.send(text)
    }

    /// Queues one text message and returns at once, for callers that learn from elsewhere that
    /// it arrived (a JSON-RPC answer): waiting for the write would cost the caller one more
    /// thread hop. Throws `CurlError.closed` if the connection is dead already; `onFailure` runs,
    /// on the connection's thread, if it dies before the message is fully written.
    public func enqueue(_ text: [UInt8], onFailure: @escaping @Sendable (CurlError) -> Void) throws {
        try connection.queue(text) { error in if let error { onFailure(error) } }
    }

    /// Suspends until the connection is dead and returns why; returns at once if it already is.
    /// Not cancellable: it returns at the latest when `close()` is called.
    public func closed() async -> CurlError {
        await connection.closed()
    }

    /// Closes the connection: its thread sends a close frame (best-effort, skipped when a data
    /// frame is half-written), fails pending sends with `.closed`, frees the handle and ends.
    /// Returns without waiting for that (`closed()` does), so it never blocks: safe from async
    /// code, `deinit` and `onMessage`. Idempotent.
    public func close() {
        connection.close()
    }
}

extension CurlWebSocket {
    fileprivate final class Connection: @unchecked Sendable {
        struct Outgoing {
            let bytes: [UInt8]
            let flags: UInt32
            /// Told once the frame is written (nil) or can no longer be (why); nil for the
            /// connection's own control frames (pings).
            let done: (@Sendable (CurlError?) -> Void)?
        }

        private struct Shared {
            var started = false
            var thread: CurlThread?
            var connectContinuation: CheckedContinuation<Void, any Error>?
            var outbox: [Outgoing] = []
            var deathReason: CurlError?
            var closedWaiters: [CheckedContinuation<CurlError, Never>] = []
        }

        private let url: String
        private let connectTimeout: Duration
        private let pingInterval: Duration?
        private let pongTimeout: Duration
        private let onMessage: @Sendable ([UInt8]) -> Void

        private let shared = Mutex(Shared())
        /// Also read by the progress callback during the upgrade, hence an atomic.
        private let closeRequested = Atomic<Bool>(false)
        private let wakeup: CurlWakeupPipe?

        /// Upper bound of one reassembled message; a bigger one kills the connection.
        private let maxMessageBytes = 256 << 20
        private let receiveBufferSize = 64 << 10

        // Thread-owned (see the class comment of `CurlWebSocket`).
        private var easy: UnsafeMutableRawPointer?
        private var sendQueue: [Outgoing] = []
        private var sendHead = 0
        /// Payload bytes of `sendQueue[sendHead]` libcurl reported as sent.
        private var sendOffset = 0
        /// A frame has been handed to libcurl but not completely: no other frame may start.
        private var frameInProgress = false
        private var wantWrite = false
        private var message: [UInt8] = []
        private var messageIsText = false
        private var pongDeadline: ContinuousClock.Instant?
        private var nextPing: ContinuousClock.Instant?

        init(
            url: String,
            connectTimeout: Duration,
            pingInterval: Duration,
            pongTimeout: Duration,
            onMessage: @escaping @Sendable ([UInt8]) -> Void
        ) {
            self.url = url
            self.connectTimeout = connectTimeout
            self.pingInterval = pingInterval > .zero ? pingInterval : nil
            self.pongTimeout = pongTimeout
            self.onMessage = onMessage
            self.wakeup = try? CurlWakeupPipe()
        }

        // MARK: caller side

        func connect() async throws {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let failure: CurlError? = shared.withLock { shared in
                    if let reason = shared.deathReason { return CurlError.closed("WebSocket is closed: \(reason.message)") }
                    if shared.started { return CurlError.closed("WebSocket connect() was already called") }
                    guard wakeup != nil else { return CurlError(kind: .transport, code: 0, message: "cannot create a wake-up pipe") }
                    shared.started = true
                    shared.connectContinuation = continuation
                    // Created under the lock so `close()` either sees the thread or prevents it.
                    shared.thread = CurlThread { self.run() }
                    return nil
                }
                if let failure { continuation.resume(throwing: failure) }
            }
        }

        func send(_ bytes: [UInt8]) async throws {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                do {
                    try queue(bytes) { error in
                        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                    }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }

        /// Puts one text frame in the outbox and wakes the connection's thread; `done` is told
        /// once the frame is written or can no longer be.
        func queue(_ bytes: [UInt8], done: @escaping @Sendable (CurlError?) -> Void) throws(CurlError) {
            let failure: CurlError? = shared.withLock { shared in
                if let reason = shared.deathReason { return CurlError.closed("WebSocket is closed: \(reason.message)") }
                if !shared.started { return CurlError.closed("WebSocket is not connected") }
                shared.outbox.append(Outgoing(bytes: bytes, flags: UInt32(CURLWS_TEXT), done: done))
                return nil
            }
            if let failure { throw failure }
            wakeup?.wake()
        }

        func closed() async -> CurlError {
            await withCheckedContinuation { (continuation: CheckedContinuation<CurlError, Never>) in
                let reason: CurlError? = shared.withLock { shared in
                    if let reason = shared.deathReason { return reason }
                    shared.closedWaiters.append(continuation)
                    return nil
                }
                if let reason { continuation.resume(returning: reason) }
            }
        }

        func close() {
            closeRequested.store(true, ordering: .sequentiallyConsistent)
            let reason = CurlError.closed("closed by client")
            // Never started: die right here, in the same critical section that stops a later
            // connect() from starting a thread (so there is no thread-owned state to race with).
            let (thread, waiters) = shared.withLock { shared in
                if shared.started { return (shared.thread, [CheckedContinuation<CurlError, Never>]()) }
                shared.started = true
                if shared.deathReason == nil { shared.deathReason = reason }
                defer { shared.closedWaiters = [] }
                return (nil, shared.closedWaiters)
            }
            for waiter in waiters { waiter.resume(returning: reason) }
            if let thread {
                wakeup?.wake()
                thread.detach()
            }
        }

        // MARK: death (on the connection's thread; effective once)

        private func die(_ reason: CurlError) {
            let (waiters, outbox, connectContinuation, first) = shared.withLock { shared in
                if shared.deathReason != nil {
                    return ([CheckedContinuation<CurlError, Never>](), [Outgoing](), CheckedContinuation<Void, any Error>?.none, false)
                }
                shared.deathReason = reason
                let result = (shared.closedWaiters, shared.outbox, shared.connectContinuation, true)
                shared.closedWaiters = []
                shared.outbox = []
                shared.connectContinuation = nil
                return result
            }
            guard first else { return }
            let sendError = CurlError.closed("WebSocket is closed: \(reason.message)", code: reason.code)
            connectContinuation?.resume(throwing: reason)
            for outgoing in outbox { outgoing.done?(sendError) }
            if sendHead < sendQueue.count {
                for outgoing in sendQueue[sendHead...] { outgoing.done?(sendError) }
            }
            sendQueue = []
            sendHead = 0
            for waiter in waiters { waiter.resume(returning: reason) }
        }

        // MARK: the connection's thread

        private func run() {
            guard let easy = curl_easy_init() else {
                die(CurlError(kind: .transport, code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_easy_init failed"))
                return
            }
            self.easy = easy
            let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
            errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
            defer {
                curl_easy_cleanup(easy)
                self.easy = nil
                errorBuffer.deallocate()
            }
            if let failure = upgrade(easy, errorBuffer: errorBuffer) {
                die(failure)
                return
            }
            var socket: curl_socket_t = -1
            let info = torrus_easy_getinfo_socket(easy, CURLINFO_ACTIVESOCKET, &socket)
            guard info == CURLE_OK, socket >= 0 else {
                die(CurlError.curl(info == CURLE_OK ? CURLE_COULDNT_CONNECT : info, message: "no active socket after the WebSocket upgrade"))
                return
            }
            let connectContinuation = shared.withLock { shared in
                defer { shared.connectContinuation = nil }
                return shared.connectContinuation
            }
            connectContinuation?.resume()
            if let pingInterval { nextPing = .now + pingInterval }
            let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: receiveBufferSize, alignment: 16)
            defer { receiveBuffer.deallocate() }
            loop(easy, socket: socket, receiveBuffer: receiveBuffer, errorBuffer: errorBuffer)
        }

        /// The HTTP upgrade (blocking `curl_easy_perform`). Returns the failure, if any.
        private func upgrade(_ easy: UnsafeMutableRawPointer, errorBuffer: UnsafeMutablePointer<CChar>) -> CurlError? {
            var result = torrus_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
            func set(_ code: CURLcode) { if result == CURLE_OK { result = code } }
            set(torrus_easy_setopt_string(easy, CURLOPT_URL, url))
            set(torrus_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "ws,wss"))
            set(torrus_easy_setopt_long(easy, CURLOPT_CONNECT_ONLY, 2))
            set(torrus_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))
            let timeout = Curl.milliseconds(connectTimeout)
            set(torrus_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout))
            // Bounds the whole upgrade; it does not apply to curl_ws_send/recv afterwards.
            set(torrus_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, timeout))
            // Lets close() abort a pending upgrade.
            set(torrus_easy_setopt_long(easy, CURLOPT_NOPROGRESS, 0))
            set(
                torrus_easy_setopt_xferinfo_callback(easy, CURLOPT_XFERINFOFUNCTION) { user, _, _, _, _ in
                    guard let user else { return 0 }
                    let connection = Unmanaged<Connection>.fromOpaque(user).takeUnretainedValue()
                    return connection.closeRequested.load(ordering: .relaxed) ? 1 : 0
                }
            )
            set(torrus_easy_setopt_pointer(easy, CURLOPT_XFERINFODATA, Unmanaged.passUnretained(self).toOpaque()))
            Curl.setCloseOnExec(on: easy)
            if result == CURLE_OK { result = curl_easy_perform(easy) }
            if closeRequested.load(ordering: .sequentiallyConsistent) {
                return CurlError.closed("closed by client")
            }
            if result != CURLE_OK {
                return CurlError.curl(result, message: Curl.message(for: result, errorBuffer: errorBuffer))
            }
            _ = torrus_easy_setopt_long(easy, CURLOPT_NOPROGRESS, 1)
            errorBuffer[0] = 0
            return nil
        }

        private func loop(
            _ easy: UnsafeMutableRawPointer,
            socket: curl_socket_t,
            receiveBuffer: UnsafeMutableRawBufferPointer,
            errorBuffer: UnsafeMutablePointer<CChar>
        ) {
            guard let wakeup else {
                die(CurlError(kind: .transport, code: 0, message: "no wake-up pipe"))
                return
            }
            var hangUp = false
            while true {
                // 1. Take what callers queued.
                let outbox = shared.withLock { shared in
                    defer { shared.outbox = [] }
                    return shared.outbox
                }
                sendQueue.append(contentsOf: outbox)
                if closeRequested.load(ordering: .sequentiallyConsistent) {
                    if !frameInProgress {
                        var sent = 0
                        let normalClosure: [UInt8] = [0x03, 0xE8]  // status 1000
                        _ = curl_ws_send(easy, normalClosure, normalClosure.count, &sent, 0, UInt32(CURLWS_CLOSE))
                    }
                    die(CurlError.closed("closed by client"))
                    return
                }
                // 2. Read everything libcurl has: it buffers several frames per socket read, so
                //    reading one frame per wake-up could leave a frame stranded until the next one.
                if let failure = receiveAll(easy, buffer: receiveBuffer, errorBuffer: errorBuffer) {
                    die(failure)
                    return
                }
                if hangUp {
                    die(CurlError.closed("connection hung up", code: Int(CURLE_GOT_NOTHING.rawValue)))
                    return
                }
                // 3. Liveness.
                let now = ContinuousClock.now
                if let deadline = pongDeadline, now >= deadline {
                    die(CurlError.timeout("no pong within \(pongTimeout)", code: Int(CURLE_OPERATION_TIMEDOUT.rawValue)))
                    return
                }
                if let pingInterval, let due = nextPing, pongDeadline == nil, now >= due {
                    // Right after the frame being written, never inside it.
                    let ping = Outgoing(bytes: [], flags: UInt32(CURLWS_PING), done: nil)
                    sendQueue.insert(ping, at: frameInProgress ? sendHead + 1 : sendHead)
                    pongDeadline = now + pongTimeout
                    nextPing = now + pingInterval
                }
                // 4. Write.
                if let failure = flushSends(easy, errorBuffer: errorBuffer) {
                    die(failure)
                    return
                }
                // 5. Wait for the socket, a caller, or the next timer.
                var wait = Duration.seconds(60)
                if let deadline = pongDeadline { wait = min(wait, deadline - now) }
                if pongDeadline == nil, let due = nextPing { wait = min(wait, due - now) }
                var fds = [
                    pollfd(fd: socket, events: Int16(POLLIN) | (wantWrite ? Int16(POLLOUT) : 0), revents: 0),
                    pollfd(fd: wakeup.readFD, events: Int16(POLLIN), revents: 0),
                ]
                let timeout = wait <= .zero ? 0 : Int32(clamping: Curl.milliseconds(wait))
                let ready = poll(&fds, nfds_t(fds.count), timeout)
                if ready < 0 && errno != EINTR {
                    die(CurlError(kind: .transport, code: 0, message: "poll failed: errno \(errno)"))
                    return
                }
                if fds[1].revents != 0 { wakeup.drain() }
                if fds[0].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
                    // Read once more (pending data, then the error) before declaring death.
                    hangUp = true
                }
            }
        }

        private func receiveAll(
            _ easy: UnsafeMutableRawPointer,
            buffer: UnsafeMutableRawBufferPointer,
            errorBuffer: UnsafeMutablePointer<CChar>
        ) -> CurlError? {
            while true {
                var received = 0
                var meta: UnsafePointer<curl_ws_frame>?
                let result = curl_ws_recv(easy, buffer.baseAddress, buffer.count, &received, &meta)
                if result == CURLE_AGAIN { return nil }
                if result == CURLE_GOT_NOTHING {
                    return CurlError.closed("connection closed by the server", code: Int(result.rawValue))
                }
                if result != CURLE_OK {
                    return CurlError.curl(result, message: Curl.message(for: result, errorBuffer: errorBuffer))
                }
                guard let meta else {
                    return CurlError(kind: .transport, code: 0, message: "curl_ws_recv returned no frame metadata")
                }
                // Copy at once: the metadata is overwritten by the next libcurl call.
                let flags = meta.pointee.flags
                let bytesLeft = meta.pointee.bytesleft
                if flags & CURLWS_CLOSE != 0 {
                    return CurlError.closed("close frame received from the server")
                }
                if flags & CURLWS_PONG != 0 {
                    if bytesLeft == 0 { pongDeadline = nil }
                    continue
                }
                if flags & CURLWS_PING != 0 {
                    continue  // answered by libcurl (auto-pong); only surfaced with NOAUTOPONG
                }
                if message.isEmpty { messageIsText = flags & CURLWS_TEXT != 0 }
                if message.count + received > maxMessageBytes {
                    return CurlError(kind: .transport, code: 0, message: "WebSocket message larger than \(maxMessageBytes) bytes")
                }
                message.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<received]))
                if bytesLeft == 0 && flags & CURLWS_CONT == 0 {
                    let complete = message
                    message = []
                    if messageIsText { onMessage(complete) }
                }
            }
        }

        private func flushSends(_ easy: UnsafeMutableRawPointer, errorBuffer: UnsafeMutablePointer<CChar>) -> CurlError? {
            wantWrite = false
            while sendHead < sendQueue.count {
                let outgoing = sendQueue[sendHead]
                let remaining = outgoing.bytes.count - sendOffset
                var sent = 0
                let result: CURLcode
                if remaining == 0 {
                    result = curl_ws_send(easy, nil, 0, &sent, 0, outgoing.flags)
                } else {
                    result = outgoing.bytes.withUnsafeBytes { bytes in
                        curl_ws_send(easy, bytes.baseAddress! + sendOffset, remaining, &sent, 0, outgoing.flags)
                    }
                }
                if result == CURLE_AGAIN {
                    // libcurl may hold part of the frame: call again with the same remainder.
                    frameInProgress = true
                    wantWrite = true
                    return nil
                }
                if result != CURLE_OK {
                    return CurlError.curl(result, message: Curl.message(for: result, errorBuffer: errorBuffer))
                }
                frameInProgress = true
                sendOffset += sent
                if sendOffset < outgoing.bytes.count {
                    if sent == 0 {
                        wantWrite = true
                        return nil
                    }
                    continue  // partial: resend the remainder
                }
                sendHead += 1
                sendOffset = 0
                frameInProgress = false
                outgoing.done?(nil)
            }
            sendQueue.removeAll(keepingCapacity: true)
            sendHead = 0
            return nil
        }
    }
}
