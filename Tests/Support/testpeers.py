#!/usr/bin/env python3
"""Local test peers for Torrus integration tests (127.0.0.1 only, stdlib only).

Sub-commands:

  serve --root DIR [--port 0] [--verbose] [--exit-on-stdin-eof]
      HTTP/1.1 server on 127.0.0.1. Prints exactly one line "PORT <n>" (flushed) once
      listening, then serves until SIGTERM/SIGINT (exits 0), or, with --exit-on-stdin-eof,
      until stdin reaches EOF (the parent died). Nothing is logged unless --verbose. Routes:
        GET|HEAD /files/<name>?size=N[&rate=BYTES_PER_SEC][&norange=1]
            deterministic payload (see payload_byte), single-range support (206/416),
            throttled to `rate` bytes/second when given.
        GET|HEAD /static/<path>     a file under --root (404 if absent or outside root)
        GET|HEAD /missing/<any>     404
        GET|HEAD /slow-headers/<name>[?size=N]
                                    waits 30 s, then answers like /files (size default 1024)
        GET /announce               minimal BitTorrent HTTP tracker (compact peers)
        GET /stats                  {"requests": {"/files/a.bin": n, ...}, "announces": n}

  make-torrent --file PATH [--file PATH2 ... --name DIRNAME] --tracker URL --out OUT
               [--piece-length 262144] [--private] [--base DIR]
      Writes a .torrent; prints exactly "INFOHASH <40 lowercase hex>".
      One --file and no --name: single-file torrent named after the file.
      Otherwise multi-file torrent named DIRNAME (default: the basename of the common
      directory), each `path` relative to --base (default: the files' common directory).
      Output is deterministic (no creation date), so the info hash is too.

  make-file --out PATH --size N --name NAME
      Writes the same bytes as /files/NAME?size=N.

Payload: byte i of /files/<name> is (i * 31 + L) % 251, where L is the UTF-8 byte length
of the percent-decoded <name>.
"""

import argparse
import hashlib
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, unquote_to_bytes

PERIOD = 251  # the payload repeats every 251 bytes (31 is invertible mod the prime 251)
CHUNK = 64 * 1024
SLOW_HEADERS_DELAY = 30.0


# ---------------------------------------------------------------------------------------------
# Deterministic payload


def _name_len(name):
    return len(name.encode("utf-8"))


def payload_byte(i, name):
    return (i * 31 + _name_len(name)) % PERIOD


class Payload:
    """Slices of the deterministic payload for one name, generated from one period."""

    def __init__(self, name):
        period = bytes(payload_byte(i, name) for i in range(PERIOD))
        reps = CHUNK // PERIOD + 2
        self._buf = period * reps  # > CHUNK + PERIOD bytes

    def chunk(self, offset, length):
        """Bytes [offset, offset+length) of the payload; length <= CHUNK."""
        start = offset % PERIOD
        return self._buf[start : start + length]

    def iter(self, start, end, chunk=CHUNK):
        pos = start
        while pos < end:
            n = min(chunk, end - pos)
            yield self.chunk(pos, n)
            pos += n


# ---------------------------------------------------------------------------------------------
# Bencoding


def bencode(value):
    out = bytearray()
    _bencode(value, out)
    return bytes(out)


def _bencode(v, out):
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, int):
        out += b"i%de" % v
    elif isinstance(v, (bytes, bytearray)):
        out += b"%d:" % len(v) + bytes(v)
    elif isinstance(v, str):
        _bencode(v.encode("utf-8"), out)
    elif isinstance(v, (list, tuple)):
        out += b"l"
        for item in v:
            _bencode(item, out)
        out += b"e"
    elif isinstance(v, dict):
        out += b"d"
        items = [(k.encode("utf-8") if isinstance(k, str) else bytes(k), val) for k, val in v.items()]
        for k, val in sorted(items, key=lambda kv: kv[0]):
            _bencode(k, out)
            _bencode(val, out)
        out += b"e"
    else:
        raise TypeError("cannot bencode %r" % type(v))


# ---------------------------------------------------------------------------------------------
# Query parsing (raw: info_hash/peer_id are percent-encoded binary)


def parse_raw_query(query):
    """{key: raw bytes value} from a raw query string; the first occurrence of a key wins."""
    result = {}
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        key = unquote(key.replace("+", " "))
        if key not in result:
            result[key] = unquote_to_bytes(value.replace("+", " "))
    return result


def q_str(q, key, default=None):
    v = q.get(key)
    if v is None:
        return default
    return v.decode("utf-8", "replace")


def q_int(q, key, default=None):
    v = q.get(key)
    if v is None or v == b"":
        return default
    try:
        return int(v)
    except ValueError:
        return default


# ---------------------------------------------------------------------------------------------
# Server state


class State:
    def __init__(self, root, verbose):
        self.root = os.path.realpath(root)
        self.verbose = verbose
        self.lock = threading.Lock()
        self.requests = {}  # path -> count
        self.announces = 0
        self.swarms = {}  # info_hash bytes -> {peer_id bytes: (port, left)}

    def count(self, path):
        with self.lock:
            self.requests[path] = self.requests.get(path, 0) + 1

    def snapshot(self):
        with self.lock:
            return {"requests": dict(self.requests), "announces": self.announces}

    def announce(self, info_hash, peer_id, port, left, event):
        with self.lock:
            self.announces += 1
            swarm = self.swarms.setdefault(info_hash, {})
            if event == "stopped":
                swarm.pop(peer_id, None)
            else:
                swarm[peer_id] = (port, left)
            complete = sum(1 for (_, lft) in swarm.values() if lft == 0)
            incomplete = len(swarm) - complete
            others = [p for pid, (p, _) in swarm.items() if pid != peer_id and p != port]
        peers = b"".join(bytes([127, 0, 0, 1]) + p.to_bytes(2, "big") for p in others)
        if event == "stopped":
            peers = b""
        return {
            "interval": 2,
            "min interval": 1,
            "complete": complete,
            "incomplete": incomplete,
            "peers": peers,
        }


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, state):
        super().__init__(addr, handler)
        self.state = state

    def handle_error(self, request, client_address):
        # Clients hanging up mid-response are routine here; stay quiet unless asked.
        if self.state.verbose:
            super().handle_error(request, client_address)


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, logging only with --verbose, clients that hang up ignored. Shared with
    webhookreceiver.py."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        if self.server.state.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError):
            pass


class Handler(QuietHandler):
    def version_string(self):
        return "testpeers/1"

    # -- plumbing -------------------------------------------------------------------------------

    def _split(self):
        path, _, query = self.path.partition("?")
        path = path.split("#", 1)[0]
        return path, query

    def _send(self, status, body=b"", ctype="text/plain; charset=utf-8", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _not_found(self):
        self._send(404, b"not found\n")

    def _dispatch(self):
        path, query = self._split()
        state = self.server.state
        state.count(unquote(path))
        try:
            if path.startswith("/files/"):
                self._files(unquote(path[len("/files/") :]), parse_raw_query(query))
            elif path.startswith("/static/"):
                self._static(unquote(path[len("/static/") :]))
            elif path.startswith("/missing/"):
                self._not_found()
            elif path.startswith("/slow-headers/"):
                time.sleep(SLOW_HEADERS_DELAY)
                q = parse_raw_query(query)
                if "size" not in q:
                    q["size"] = b"1024"
                self._files(unquote(path[len("/slow-headers/") :]), q)
            elif path == "/announce" and self.command == "GET":
                self._announce(query)
            elif path == "/stats" and self.command == "GET":
                body = json.dumps(state.snapshot(), sort_keys=True).encode()
                self._send(200, body, "application/json")
            else:
                self._not_found()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError):
            self.close_connection = True

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    # -- /files ---------------------------------------------------------------------------------

    def _files(self, name, q):
        size = q_int(q, "size")
        if size is None or size < 0:
            self._send(400, b"size=N required\n")
            return
        rate = q_int(q, "rate")
        if rate is not None and rate <= 0:
            rate = None
        norange = q_str(q, "norange") in ("1", "true", "yes")

        start, end, status = 0, size, 200  # [start, end)
        headers = {}
        if not norange:
            headers["Accept-Ranges"] = "bytes"
            rng = self.headers.get("Range")
            if rng:
                parsed = parse_range(rng, size)
                if parsed == "unsatisfiable":
                    self._send(416, b"", headers={"Content-Range": "bytes */%d" % size})
                    return
                if parsed is not None:
                    start, end = parsed
                    status = 206
                    headers["Content-Range"] = "bytes %d-%d/%d" % (start, end - 1, size)

        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return

        payload = Payload(name)
        if rate is None:
            for chunk in payload.iter(start, end):
                self.wfile.write(chunk)
            return
        # Throttled: small chunks, paced against a wall-clock budget.
        chunk_size = max(1, min(16 * 1024, rate // 20 or 1))
        began = time.monotonic()
        sent = 0
        for chunk in payload.iter(start, end, chunk_size):
            self.wfile.write(chunk)
            self.wfile.flush()
            sent += len(chunk)
            ahead = sent / rate - (time.monotonic() - began)
            if ahead > 0:
                time.sleep(ahead)

    # -- /static --------------------------------------------------------------------------------

    def _static(self, rel):
        root = self.server.state.root
        full = os.path.realpath(os.path.join(root, rel.lstrip("/")))
        if not (full == root or full.startswith(root + os.sep)) or not os.path.isfile(full):
            self._not_found()
            return
        with open(full, "rb") as f:
            body = f.read()
        ctype = "application/x-bittorrent" if full.endswith(".torrent") else "application/octet-stream"
        self._send(200, body, ctype)

    # -- /announce ------------------------------------------------------------------------------

    def _announce(self, query):
        q = parse_raw_query(query)
        info_hash = q.get("info_hash", b"")
        peer_id = q.get("peer_id", b"")
        port = q_int(q, "port")
        if len(info_hash) != 20 or port is None or not (0 < port < 65536):
            body = bencode({"failure reason": "info_hash (20 bytes) and port required"})
            self._send(200, body, "text/plain")
            return
        left = q_int(q, "left", 1)
        event = q_str(q, "event", "")
        reply = self.server.state.announce(info_hash, peer_id or str(port).encode(), port, left, event)
        self._send(200, bencode(reply), "text/plain")


def parse_range(header, size):
    """(start, end) half-open for a single byte range; None to ignore; 'unsatisfiable'."""
    header = header.strip()
    if not header.startswith("bytes="):
        return None
    spec = header[len("bytes=") :].strip()
    if "," in spec:
        return None  # multiple ranges: serve the whole entity
    first, dash, last = spec.partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    try:
        if first == "":
            if last == "":
                return None
            n = int(last)  # suffix: the last n bytes
            if n <= 0:
                return "unsatisfiable"
            return (max(0, size - n), size) if size > 0 else "unsatisfiable"
        a = int(first)
        b = int(last) if last else None
    except ValueError:
        return None
    if a < 0 or (b is not None and b < a):
        return None  # syntactically invalid: ignore the header
    if b is None:
        b = size - 1
    if a >= size:
        return "unsatisfiable"
    return a, min(b, size - 1) + 1


def cmd_serve(args):
    state = State(args.root, args.verbose)
    serve_until_stopped(Server(("127.0.0.1", args.port), Handler, state), args.exit_on_stdin_eof)


def serve_until_stopped(server, exit_on_stdin_eof):
    """Serves in a thread, prints "PORT <n>", and exits the process (status 0) on SIGTERM/SIGINT,
    or when stdin reaches EOF if asked. Shared with webhookreceiver.py."""
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # A parent spawning us from a thread that blocks signals (Swift test runners do) hands its
    # signal mask down; unblock, or SIGTERM would wait until the parent's SIGKILL.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

    if exit_on_stdin_eof:
        # The parent holds our stdin pipe open; when it dies (even by SIGKILL) we get EOF and stop,
        # so a crashed test run leaves no orphaned server behind.
        def watch_stdin():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except (OSError, ValueError):
                pass
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    sys.stdout.write("PORT %d\n" % server.server_address[1])
    sys.stdout.flush()
    while not stop.wait(0.2):
        pass
    server.shutdown()
    server.server_close()
    sys.stdout.flush()
    sys.stderr.flush()
    # Handler threads may sit in a 30 s sleep, a throttled write or an idle keep-alive
    # connection: do not wait for them.
    os._exit(0)


# ---------------------------------------------------------------------------------------------
# make-torrent / make-file


def cmd_make_torrent(args):
    files = [os.path.abspath(f) for f in args.file]
    for f in files:
        if not os.path.isfile(f):
            sys.exit("make-torrent: not a file: %s" % f)
    plen = args.piece_length
    if plen <= 0 or plen % 16384:
        sys.exit("make-torrent: --piece-length must be a positive multiple of 16384")

    pieces = bytearray()
    buf = bytearray()

    def feed(data):
        nonlocal buf
        buf += data
        while len(buf) >= plen:
            pieces.extend(hashlib.sha1(bytes(buf[:plen])).digest())
            del buf[:plen]

    for f in files:
        with open(f, "rb") as fh:
            while True:
                data = fh.read(1 << 20)
                if not data:
                    break
                feed(data)
    if buf:
        pieces.extend(hashlib.sha1(bytes(buf)).digest())

    info = {"piece length": plen, "pieces": bytes(pieces)}
    if len(files) == 1 and args.name is None:
        info["name"] = os.path.basename(files[0])
        info["length"] = os.path.getsize(files[0])
    else:
        base = os.path.abspath(args.base) if args.base else os.path.commonpath([os.path.dirname(f) for f in files])
        entries = []
        for f in files:
            rel = os.path.relpath(f, base)
            parts = rel.split(os.sep)
            if rel.startswith("..") or any(p in ("", ".", "..") for p in parts):
                sys.exit("make-torrent: %s is not under %s" % (f, base))
            entries.append({"length": os.path.getsize(f), "path": parts})
        info["name"] = args.name if args.name is not None else os.path.basename(base)
        info["files"] = entries
    if args.private:
        info["private"] = 1

    meta = {"announce": args.tracker, "created by": "torrus-testpeers", "info": info}
    info_hash = hashlib.sha1(bencode(info)).hexdigest()
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(bencode(meta))
    os.replace(tmp, args.out)
    sys.stdout.write("INFOHASH %s\n" % info_hash)
    sys.stdout.flush()


def cmd_make_file(args):
    if args.size < 0:
        sys.exit("make-file: --size must be >= 0")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    payload = Payload(args.name)
    with open(args.out, "wb") as fh:
        for chunk in payload.iter(0, args.size):
            fh.write(chunk)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="testpeers.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("serve", help="run the HTTP server / tracker")
    p.add_argument("--root", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--verbose", action="store_true", help="log requests and handler errors to stderr")
    p.add_argument("--exit-on-stdin-eof", action="store_true", help="also stop when stdin reaches EOF")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("make-torrent", help="write a .torrent, print INFOHASH")
    p.add_argument("--file", action="append", required=True)
    p.add_argument("--name")
    p.add_argument("--base")
    p.add_argument("--tracker", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--piece-length", type=int, default=262144)
    p.add_argument("--private", action="store_true")
    p.set_defaults(func=cmd_make_torrent)

    p = sub.add_parser("make-file", help="write the deterministic payload")
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--name", required=True)
    p.set_defaults(func=cmd_make_file)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
