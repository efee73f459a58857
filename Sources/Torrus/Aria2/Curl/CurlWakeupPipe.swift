import Glibc

/// A self-pipe that wakes a thread blocked in `poll`. `wake()` is safe from any thread;
/// `drain()` belongs to the polling thread.
final class CurlWakeupPipe: Sendable {
    let readFD: Int32
    private let writeFD: Int32

    init() throws(CurlError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw CurlError(kind: .transport, code: 0, message: "pipe() failed: errno \(errno)")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    func wake() {
        var byte: UInt8 = 1
        // EAGAIN means the pipe is full, i.e. a wake-up is already pending: fine.
        _ = write(writeFD, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readFD, &buffer, buffer.count) > 0 {}
    }
}
