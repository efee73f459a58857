import Foundation
import Glibc

/// A non-blocking TCP client socket to 127.0.0.1, for tests that need what an HTTP client hides:
/// half a request, a connection held idle, the moment the server closes. Nothing here waits:
/// `poll()` reads what has arrived, and tests wait for a condition with `eventually`.
final class RawSocket {
    private var descriptor: Int32
    private(set) var received: [UInt8] = []
    /// The server closed (end of stream or reset).
    private(set) var closedByPeer = false

    /// Starts connecting; loopback connects at once unless the server's accept queue is full, in
    /// which case the kernel retries by itself and sends what was written once it connects.
    /// `receiveBuffer` shrinks the kernel's receive buffer (set before connecting, so the window
    /// the server sees is small too): a client that stops reading then backs up the server quickly.
    init(port: Int, receiveBuffer: Int? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        if var size = receiveBuffer.map(Int32.init) {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 || errno == EINPROGRESS else {
            let code = errno
            Glibc.close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    deinit { close() }

    var text: String { String(decoding: received, as: UTF8.self) }

    /// Writes all of `text` (small writes to loopback do not block once connected).
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0, errno == EAGAIN || errno == EINPROGRESS || errno == ENOTCONN, ContinuousClock.now < deadline {
                var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLOUT), revents: 0)
                _ = Glibc.poll(&descriptor, 1, 100)
            } else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        }
    }

    /// Reads whatever has arrived, without waiting; notes the end of the stream.
    @discardableResult
    func poll() -> RawSocket {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while !closedByPeer {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                received += buffer[..<count]
            } else if count == 0 || (errno != EAGAIN && errno != EINTR && errno != ENOTCONN) {
                closedByPeer = true
            } else {
                break
            }
        }
        return self
    }

    /// Blocks until a whole response arrived (true) or the connection closed or `timeout` passed
    /// (false), waiting in `poll(2)`. For a dedicated thread, where blocking starves no task.
    func waitForCompleteResponse(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !poll().hasCompleteResponse {
            let remaining = deadline - ContinuousClock.now
            guard !closedByPeer, remaining > .zero else { return false }
            var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
            _ = Glibc.poll(&descriptor, 1, Int32(remaining / .milliseconds(1)) + 1)
        }
        return true
    }

    /// Whether a whole response arrived: a head and `Content-Length` bytes of body.
    var hasCompleteResponse: Bool {
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return false }
        return text.utf8.count - text[..<end.upperBound].utf8.count >= length
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}
