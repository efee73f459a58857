#!/usr/bin/env python3
"""Local webhook receiver for Torrus integration tests (127.0.0.1 only).

Needs the stdlib and the PyPI package `standardwebhooks` (pip install standardwebhooks).

  webhookreceiver.py --secret whsec_... [--port 0] [--fail-first N] [--fail-status 500]
                     [--exit-on-stdin-eof] [--verbose]

HTTP/1.1 server (keep-alive; every answer has a Content-Length) on 127.0.0.1. Prints exactly
one line "PORT <n>" (flushed) once listening, then serves until SIGTERM/SIGINT (exits 0), or,
with --exit-on-stdin-eof, until stdin reaches EOF (the parent died). Nothing is logged unless
--verbose. Routes:

  POST /hook[...]   (any path starting with /hook) a delivery. Counted in `requests`, then:
      - while a fail budget remains (--fail-first N, or "fail" via /control; -1 = fail every
        request until set to 0): the budget drops by one, `failed` counts it and the answer is
        the fail status (--fail-status, default 500) with a short body, without verifying.
        A 3xx fail status also sends `Location: http://127.0.0.1:<port>/elsewhere`.
      - else, after "delayMs" (via /control) if set, the Standard Webhooks signature is
        verified (headers webhook-id, webhook-timestamp, webhook-signature; the timestamp must
        be within 5 minutes of now). Invalid: `invalid` counts it, the reason is kept in
        `invalidReasons`, answer 400. Valid: appended to `received` in arrival order as
        {"id": <webhook-id>, "timestamp": <webhook-timestamp as int>, "path": <request path,
        query included>, "body": <the parsed JSON body>}, answer 204.
  GET /received     200 {"received": [...], "requests": n, "failed": n, "invalid": n,
                         "invalidReasons": [...]}
  POST /control     JSON body, any subset of {"fail": N, "failStatus": S, "delayMs": D}: sets the
                    remaining fail budget, the fail status and the delay; 204 (400 if malformed).
  POST /reset       clears `received` and the counters (not the /control settings); 204.
  anything else     404.
"""

import argparse
import json
import os
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testpeers import QuietHandler, Server, serve_until_stopped  # noqa: E402  (the test peers' server pieces)

try:
    import standardwebhooks
except ImportError:  # pragma: no cover - depends on the environment
    sys.stderr.write("webhookreceiver.py: needs the Python package standardwebhooks (pip install standardwebhooks)\n")
    sys.exit(2)

MAX_BODY = 16 * 1024 * 1024


class BadRequest(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Server state


class State:
    def __init__(self, secret, fail_first, fail_status, verbose):
        self.webhook = standardwebhooks.Webhook(secret)
        self.verbose = verbose
        self.lock = threading.Lock()
        self.port = 0
        # /control settings
        self.fail = fail_first  # remaining fail budget; -1: fail every request
        self.fail_status = fail_status
        self.delay_ms = 0
        # observations
        self.received = []
        self.requests = 0
        self.failed = 0
        self.invalid = 0
        self.invalid_reasons = []

    def begin_delivery(self):
        """Counts a delivery; returns (fail status or None, delay in seconds)."""
        with self.lock:
            self.requests += 1
            if self.fail != 0:
                if self.fail > 0:
                    self.fail -= 1
                self.failed += 1
                return self.fail_status, 0.0
            return None, self.delay_ms / 1000.0

    def record_invalid(self, reason):
        with self.lock:
            self.invalid += 1
            self.invalid_reasons.append(reason)

    def record_valid(self, entry):
        with self.lock:
            self.received.append(entry)

    def control(self, settings):
        fail = settings.get("fail")
        status = settings.get("failStatus")
        delay = settings.get("delayMs")
        if fail is not None and (not _is_int(fail) or fail < -1):
            raise BadRequest("fail must be an integer >= -1")
        if status is not None and (not _is_int(status) or not 100 <= status <= 599):
            raise BadRequest("failStatus must be an integer in 100...599")
        if delay is not None and (not _is_int(delay) or delay < 0):
            raise BadRequest("delayMs must be an integer >= 0")
        with self.lock:
            if fail is not None:
                self.fail = fail
            if status is not None:
                self.fail_status = status
            if delay is not None:
                self.delay_ms = delay

    def reset(self):
        with self.lock:
            self.received = []
            self.requests = 0
            self.failed = 0
            self.invalid = 0
            self.invalid_reasons = []

    def snapshot(self):
        with self.lock:
            return {
                "received": list(self.received),
                "requests": self.requests,
                "failed": self.failed,
                "invalid": self.invalid,
                "invalidReasons": list(self.invalid_reasons),
            }


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class Handler(QuietHandler):
    def version_string(self):
        return "webhookreceiver/1"

    # -- plumbing -------------------------------------------------------------------------------

    def _send(self, status, body=b"", ctype="text/plain; charset=utf-8", headers=None):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _read_body(self):
        """The request body, by Content-Length (or chunked); keeps the connection in step."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        if len(set(v.strip() for v in lengths)) != 1:
            raise BadRequest("conflicting Content-Length headers")
        try:
            length = int(lengths[0].strip())
        except ValueError:
            raise BadRequest("malformed Content-Length")
        if length < 0 or length > MAX_BODY:
            raise BadRequest("unacceptable Content-Length")
        body = self.rfile.read(length)
        if len(body) != length:
            raise ConnectionResetError("request body cut short")
        return body

    def _read_chunked(self):
        body = bytearray()
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise ConnectionResetError("chunked body cut short")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadRequest("malformed chunk size")
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers, then the empty line
                    pass
                return bytes(body)
            if len(body) + size > MAX_BODY:
                raise BadRequest("body too large")
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise ConnectionResetError("chunked body cut short")
            body += chunk
            self.rfile.readline(1024)  # the CRLF after the chunk

    def _dispatch(self):
        try:
            try:
                body = self._read_body()
            except BadRequest as error:
                self.close_connection = True
                self._send(400, ("%s\n" % error).encode())
                return
            path = self.path.split("#", 1)[0]
            route = path.partition("?")[0]
            if self.command == "POST" and route.startswith("/hook"):
                self._hook(path, body)
            elif self.command == "GET" and route == "/received":
                snapshot = json.dumps(self.server.state.snapshot(), sort_keys=True).encode()
                self._send(200, snapshot, "application/json")
            elif self.command == "POST" and route == "/control":
                self._control(body)
            elif self.command == "POST" and route == "/reset":
                self.server.state.reset()
                self._send(204)
            else:
                self._send(404, b"not found\n")
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError):
            self.close_connection = True

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_OPTIONS(self):
        self._dispatch()

    # -- routes ---------------------------------------------------------------------------------

    def _hook(self, path, body):
        state = self.server.state
        fail_status, delay = state.begin_delivery()
        if fail_status is not None:
            headers = {}
            if 300 <= fail_status < 400:
                headers["Location"] = "http://127.0.0.1:%d/elsewhere" % state.port
            self._send(fail_status, b"failing on purpose\n", headers=headers)
            return
        if delay > 0:
            time.sleep(delay)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            state.webhook.verify(body, headers, json_parse=False)
        except standardwebhooks.WebhookVerificationError as error:
            self._invalid(str(error) or "verification failed")
            return
        except Exception as error:  # malformed signature header, base64 or UTF-8 body
            self._invalid("malformed webhook: %s: %s" % (type(error).__name__, error))
            return
        try:
            parsed = json.loads(body)
        except ValueError as error:
            self._invalid("body is not JSON: %s" % error)
            return
        stamp = headers.get("webhook-timestamp", "")
        try:
            timestamp = int(stamp)
        except ValueError:
            timestamp = int(float(stamp))  # verify() accepted it, so it parses as a number
        state.record_valid({"id": headers.get("webhook-id"), "timestamp": timestamp, "path": path, "body": parsed})
        self._send(204)

    def _invalid(self, reason):
        self.server.state.record_invalid(reason)
        if self.server.state.verbose:
            sys.stderr.write("invalid webhook: %s\n" % reason)
        self._send(400, ("invalid webhook: %s\n" % reason).encode())

    def _control(self, body):
        try:
            settings = json.loads(body or b"{}")
            if not isinstance(settings, dict):
                raise BadRequest("a JSON object is required")
            self.server.state.control(settings)
        except (ValueError, BadRequest) as error:
            self._send(400, ("%s\n" % error).encode())
            return
        self._send(204)


# ---------------------------------------------------------------------------------------------
# main


def main(argv=None):
    parser = argparse.ArgumentParser(prog="webhookreceiver.py", description=__doc__.splitlines()[0])
    parser.add_argument("--secret", required=True, help="whsec_<base64>, as the sender's")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail-first", type=int, default=0, help="answer the first N deliveries with the fail status")
    parser.add_argument("--fail-status", type=int, default=500)
    parser.add_argument("--verbose", action="store_true", help="log requests and handler errors to stderr")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="also stop when stdin reaches EOF")
    args = parser.parse_args(argv)
    if args.fail_first < -1:
        parser.error("--fail-first must be >= -1")
    if not 100 <= args.fail_status <= 599:
        parser.error("--fail-status must be in 100...599")

    try:
        state = State(args.secret, args.fail_first, args.fail_status, args.verbose)
    except Exception as error:
        parser.error("bad --secret: %s" % (str(error) or type(error).__name__))
    server = Server(("127.0.0.1", args.port), Handler, state)
    state.port = server.server_address[1]
    serve_until_stopped(server, args.exit_on_stdin_eof)


if __name__ == "__main__":
    main()
