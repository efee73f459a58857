#!/usr/bin/env bash
# Fuzzes a real torrusd against its OpenAPI document (Sources/Torrus/API/openapi.json) with
# schemathesis: every operation, examples from the document, its coverage cases, random data and
# stateful sequences along the document's links (create a download, then get, patch, delete it…).
# Fails on any 5xx, any response not matching its schema, any undocumented status, content type
# or missing documented header. scripts/test.sh runs it after the tests; alone:
#   scripts/contract.sh [--max-examples N]     (default 25 per operation and phase)
# CONTRACT_SEED=<n> changes the seed (fixed by default, so CI runs the same cases every time).
# It needs schemathesis (PyPI; scripts/test.sh installs it) and aria2c (scripts/setup-debian.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

examples=25
if [ "${1:-}" = "--max-examples" ]; then examples=$2; fi

swift build --product torrusd
torrusd="$(swift build --show-bin-path)/torrusd"

work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token="contract-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# The real thing: SQLite, its own managed aria2c (no ARIA2_RPC_URL), the bearer token. The
# downloads schemathesis creates point at random hosts; without internet aria2 fails them, which
# is fine. Webhook receivers are random hosts too: a short timeout keeps POST .../test quick.
env -u ARIA2_RPC_URL -u ARIA2_SECRET -u TORRUS_INSECURE_NO_AUTH \
    TORRUS_API_TOKEN="$token" TORRUS_LISTEN="127.0.0.1:$port" TORRUS_DATA_DIR="$work/data" \
    TORRUS_STORAGE=sqlite TORRUS_CLIENT=aria2 TORRUS_WEBHOOK_TIMEOUT_MS=1000 TORRUS_WEBHOOK_MAX_ATTEMPTS=2 \
    TORRUS_WEBHOOK_RETRY_BASE_MS=100 LOG_LEVEL=warning \
    "$torrusd" >"$work/torrusd.log" 2>&1 &
pid=$!

base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
    if python3 -c "import urllib.request, sys; urllib.request.urlopen('$base/readyz', timeout=1)" 2>/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "contract: torrusd exited before it was ready:" >&2
        cat "$work/torrusd.log" >&2
        exit 1
    fi
    sleep 0.1
done

# Every check but positive_data_acceptance: the server has rules a JSON Schema does not say (a
# source's scheme and host, a targetPath inside the download roots, seed options for torrents only,
# no control characters in any string, cursors it gave), so schema-valid data may rightly get a 400.
#
# Not fuzzed, each for its reason:
# - streamEvents (GET /v1/events): a 200 is an endless text/event-stream, which a request/response
#   fuzzer waits on until it times out. Its refusals (400, 401, 429) and its 200's headers are
#   checked by the recorded-response check (Tests/Support/contract.py check) of the event tests.
# (schemathesis leaves out on its own the operation it loads the document from, getOpenAPIDocument;
# OpenAPIDocumentTests checks that one.)
status=0
# From the temporary directory: schemathesis keeps its example database (.schemathesis/) there.
(cd "$work" && schemathesis run "$base/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$examples" \
    --workers 2 \
    --request-timeout 10 \
    --seed "${CONTRACT_SEED:-9}" \
    --exclude-operation-id streamEvents \
    --warnings off \
    --output-truncate false) \
    || status=$?

if [ "$status" -ne 0 ]; then
    echo "contract: schemathesis found failures (above). torrusd's log:" >&2
    tail -n 50 "$work/torrusd.log" >&2
fi
exit "$status"
