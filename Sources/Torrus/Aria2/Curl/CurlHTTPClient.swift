import CCurl
import Glibc
import Synchronization

/// HTTP POST client over ONE curl multi handle driven by ONE dedicated thread.
///
/// Thread rule: the multi handle and every easy handle are created, used and cleaned up only
/// by the client's own thread (`Engine.run`). Callers only append work to the engine's inbox
/// under its lock and call `curl_multi_wakeup`, the one thread-safe multi call; wake-ups are
/// only issued while the client is not shut down, so never after `curl_multi_cleanup`.
/// That rule is what makes `@unchecked Sendable` sound here.
///
/// Connections are kept alive and reused between calls (the multi handle's connection pool).
/// Non-2xx statuses are returned, not thrown: aria2 answers JSON-RPC errors with HTTP 400 and
/// a JSON body the caller wants to read.
final class CurlHTTPClient: @unchecked Sendable {
    private let engine: Engine
    private let thread: CurlThread

    /// - Parameter maxConnectionsPerHost: upper bound of parallel connections to one host;
    ///   further requests queue inside libcurl (their timeout keeps running while queued).
    /// - Parameter maxResponseBytes: how much of a response body is kept; the rest is read and
    ///   dropped (a webhook receiver's answer is not read at all, and must not fill memory).
    init(maxConnectionsPerHost: Int = 16, maxResponseBytes: Int = .max) {
        Curl.initializeOnce()
        let engine = Engine(maxConnectionsPerHost: maxConnectionsPerHost, maxResponseBytes: maxResponseBytes)
        self.engine = engine
        self.thread = CurlThread { engine.run() }
    }

    deinit {
        shutdown()
    }

    /// POSTs `body` to `url` and returns the HTTP status and the response body.
    ///
    /// Throws `CurlError.timeout` when `timeout` (whole transfer, including connecting and
    /// waiting for a free connection) passes, `CurlError.transport` for libcurl failures such
    /// as a refused connection, `CurlError.closed` after `shutdown()`, and `CancellationError`
    /// if the calling task is cancelled (the transfer is then aborted on the client's thread).
    func post(
        url: String,
        body: [UInt8],
        contentType: String = "application/json",
        headers: [String] = [],
        timeout: Duration
    ) async throws -> (status: Int, body: [UInt8]) {
        let engine = self.engine
        let id = engine.register()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                engine.enqueue(
                    Engine.Request(
                        id: id,
                        url: url,
                        body: body,
                        contentType: contentType,
                        headers: headers,
                        timeoutMilliseconds: Curl.milliseconds(timeout),
                        continuation: continuation
                    )
                )
            }
        } onCancel: {
            engine.cancel(id)
        }
    }

    /// Fails every pending and running call with `CurlError.closed` and stops the client's
    /// thread, which frees all curl handles as it ends. Returns without waiting for the thread,
    /// so async code and `deinit` never block on it. Idempotent. Later calls fail with `.closed`.
    func shutdown() {
        engine.shutdown()
        thread.detach()
    }
}

extension CurlHTTPClient {
    /// The state shared between callers and the client's thread, plus the thread's own state.
    ///
    /// Thread rule: `multi`, `active`, `idleHandles` and every `Transfer` are touched only by
    /// the thread running `run()`; `inbox` is the only state other threads touch, always under
    /// its lock. `multi` is created in `init`, before the thread starts (pthread_create orders it).
    fileprivate final class Engine: @unchecked Sendable {
        typealias Continuation = CheckedContinuation<(status: Int, body: [UInt8]), any Error>

        struct Request: Sendable {
            let id: UInt64
            let url: String
            let body: [UInt8]
            let contentType: String
            /// Extra `Name: value` lines.
            let headers: [String]
            let timeoutMilliseconds: Int
            let continuation: Continuation
        }

        private enum Slot {
            /// `post` allocated the id but has not enqueued yet.
            case registered
            /// Cancelled before it was enqueued: `enqueue` fails it at once.
            case cancelledEarly
            /// In `inbox.pending`, not yet seen by the thread.
            case pending
            /// Owned by the thread.
            case inFlight
        }

        private struct Inbox {
            var nextID: UInt64 = 0
            var slots: [UInt64: Slot] = [:]
            var pending: [Request] = []
            var cancelled: [UInt64] = []
            var shuttingDown = false
        }

        private let inbox = Mutex(Inbox())
        private let multi: UnsafeMutableRawPointer

        // Thread-owned.
        private var active: [UnsafeMutableRawPointer: Transfer] = [:]
        private var idleHandles: [UnsafeMutableRawPointer] = []
        private let maxIdleHandles = 32

        private let maxResponseBytes: Int

        init(maxConnectionsPerHost: Int, maxResponseBytes: Int) {
            self.maxResponseBytes = maxResponseBytes
            guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed") }
            self.multi = multi
            _ = torrus_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(1, maxConnectionsPerHost))
            _ = torrus_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, maxConnectionsPerHost))
        }

        // MARK: caller side (any thread, under the lock)

        func register() -> UInt64 {
            inbox.withLock { inbox in
                let id = inbox.nextID
                inbox.nextID += 1
                inbox.slots[id] = .registered
                return id
            }
        }

        func enqueue(_ request: Request) {
            let failure: (any Error)? = inbox.withLock { inbox in
                if inbox.shuttingDown {
                    inbox.slots[request.id] = nil
                    return CurlError.closed("HTTP client is shut down")
                }
                if inbox.slots[request.id] == .cancelledEarly {
                    inbox.slots[request.id] = nil
                    return CancellationError()
                }
                inbox.slots[request.id] = .pending
                inbox.pending.append(request)
                curl_multi_wakeup(multi)
                return nil
            }
            if let failure { request.continuation.resume(throwing: failure) }
        }

        func cancel(_ id: UInt64) {
            let removed: Request? = inbox.withLock { inbox in
                guard !inbox.shuttingDown, let slot = inbox.slots[id] else { return nil }
                switch slot {
                case .registered:
                    inbox.slots[id] = .cancelledEarly
                    return nil
                case .cancelledEarly:
                    return nil
                case .pending:
                    inbox.slots[id] = nil
                    guard let index = inbox.pending.firstIndex(where: { $0.id == id }) else { return nil }
                    return inbox.pending.remove(at: index)
                case .inFlight:
                    inbox.cancelled.append(id)
                    curl_multi_wakeup(multi)
                    return nil
                }
            }
            removed?.continuation.resume(throwing: CancellationError())
        }

        func shutdown() {
            let failed: [Request] = inbox.withLock { inbox in
                guard !inbox.shuttingDown else { return [] }
                inbox.shuttingDown = true
                let pending = inbox.pending
                inbox.pending = []
                for request in pending { inbox.slots[request.id] = nil }
                curl_multi_wakeup(multi)
                return pending
            }
            for request in failed {
                request.continuation.resume(throwing: CurlError.closed("HTTP client is shut down"))
            }
        }

        // MARK: the client's thread

        func run() {
            while true {
                let (requests, cancelled, shuttingDown) = inbox.withLock { inbox in
                    let requests = inbox.pending
                    let cancelled = inbox.cancelled
                    inbox.pending = []
                    inbox.cancelled = []
                    for request in requests { inbox.slots[request.id] = .inFlight }
                    return (requests, cancelled, inbox.shuttingDown)
                }
                if shuttingDown { break }
                for request in requests { start(request) }
                if !cancelled.isEmpty {
                    let ids = Set(cancelled)
                    for (easy, transfer) in active where ids.contains(transfer.id) {
                        finish(easy, transfer, with: .failure(CancellationError()))
                    }
                }
                var running: Int32 = 0
                _ = curl_multi_perform(multi, &running)
                collectFinished()
                _ = curl_multi_poll(multi, nil, 0, 1000, nil)
            }
            // Shut down: every caller still waiting gets `.closed`.
            for (easy, transfer) in active {
                finish(easy, transfer, with: .failure(CurlError.closed("HTTP client is shut down")))
            }
            for easy in idleHandles { curl_easy_cleanup(easy) }
            idleHandles = []
            curl_multi_cleanup(multi)
        }

        private func start(_ request: Request) {
            let easy: UnsafeMutableRawPointer
            if let reused = idleHandles.popLast() {
                easy = reused  // already curl_easy_reset by recycle()
            } else if let fresh = curl_easy_init() {
                easy = fresh
            } else {
                complete(request.id)
                request.continuation.resume(
                    throwing: CurlError(kind: .transport, code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_easy_init failed")
                )
                return
            }
            let transfer = Transfer(id: request.id, continuation: request.continuation, maxResponseBytes: maxResponseBytes)
            transfer.headers = curl_slist_append(transfer.headers, "Content-Type: \(request.contentType)")
            transfer.headers = curl_slist_append(transfer.headers, "Expect:")
            for header in request.headers { transfer.headers = curl_slist_append(transfer.headers, header) }

            var result = torrus_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
            func set(_ code: CURLcode) { if result == CURLE_OK { result = code } }
            set(torrus_easy_setopt_string(easy, CURLOPT_URL, request.url))
            set(torrus_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
            set(torrus_easy_setopt_long(easy, CURLOPT_POST, 1))
            set(torrus_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            let body: [UInt8] = request.body.isEmpty ? [0] : request.body  // never a nil base address
            body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies the POSTFIELDSIZE bytes right now.
                set(torrus_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress)))
            }
            set(torrus_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(transfer.headers)))
            set(torrus_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds))
            // A transfer that times out while its host name is still being resolved must not make
            // this thread wait for the resolver (libcurl joins its thread otherwise): one slow DNS
            // answer would hold up every transfer of the client, each far past its own timeout.
            set(torrus_easy_setopt_long(easy, CURLOPT_QUICK_EXIT, 1))
            set(torrus_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(transfer.errorBuffer)))
            set(
                torrus_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, user in
                    guard let user else { return 0 }
                    let length = size * count
                    let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
                    let kept = min(length, transfer.maxResponseBytes - transfer.response.count)
                    if let data, kept > 0 {
                        transfer.response.append(contentsOf: UnsafeRawBufferPointer(start: data, count: kept))
                    }
                    return length
                }
            )
            set(torrus_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(transfer).toOpaque()))
            Curl.setCloseOnExec(on: easy)
            var failure: CurlError?
            if result != CURLE_OK {
                failure = CurlError.curl(result, message: Curl.message(for: result, errorBuffer: transfer.errorBuffer))
            } else {
                let added = curl_multi_add_handle(multi, easy)
                if added != CURLM_OK {
                    let reason = String(cString: curl_multi_strerror(added))
                    failure = CurlError(kind: .transport, code: Int(added.rawValue), message: "curl_multi_add_handle: \(reason)")
                }
            }
            if let failure {
                recycle(easy)
                complete(transfer.id)
                transfer.continuation.resume(throwing: failure)
                return
            }
            active[easy] = transfer
        }

        private func collectFinished() {
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard torrus_multi_msg_is_done(message) != 0, let easy = torrus_multi_msg_easy(message) else { continue }
                let code = torrus_multi_msg_result(message)
                guard let transfer = active[easy] else { continue }
                if code == CURLE_OK {
                    var status = 0
                    _ = torrus_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
                    finish(easy, transfer, with: .success((status: status, body: transfer.response)))
                } else {
                    let message = Curl.message(for: code, errorBuffer: transfer.errorBuffer)
                    finish(easy, transfer, with: .failure(CurlError.curl(code, message: message)))
                }
            }
        }

        private func finish(
            _ easy: UnsafeMutableRawPointer,
            _ transfer: Transfer,
            with result: Result<(status: Int, body: [UInt8]), any Error>
        ) {
            curl_multi_remove_handle(multi, easy)
            active[easy] = nil
            recycle(easy)
            complete(transfer.id)
            transfer.continuation.resume(with: result)
        }

        private func complete(_ id: UInt64) {
            inbox.withLock { inbox in inbox.slots[id] = nil }
        }

        /// Keeps a finished (already removed from `multi`) easy handle for reuse. The reset drops
        /// every pointer into the finished `Transfer` (error buffer, header list, write data).
        private func recycle(_ easy: UnsafeMutableRawPointer) {
            curl_easy_reset(easy)
            if idleHandles.count < maxIdleHandles {
                idleHandles.append(easy)
            } else {
                curl_easy_cleanup(easy)
            }
        }
    }

    /// One running transfer. Thread-owned (see `Engine`).
    fileprivate final class Transfer {
        let id: UInt64
        let continuation: Engine.Continuation
        let maxResponseBytes: Int
        var response: [UInt8] = []
        var headers: UnsafeMutablePointer<curl_slist>?
        let errorBuffer: UnsafeMutablePointer<CChar>

        init(id: UInt64, continuation: Engine.Continuation, maxResponseBytes: Int) {
            self.id = id
            self.continuation = continuation
            self.maxResponseBytes = maxResponseBytes
            errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
            errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        }

        deinit {
            curl_slist_free_all(headers)
            errorBuffer.deallocate()
        }
    }
}
