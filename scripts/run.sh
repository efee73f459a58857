#!/usr/bin/env bash
# Runs Torrus for real: installs the system packages (Debian 12), builds torrusd in release mode
# and starts it with the embedded SQLite store in ./data (override with TORRUS_DATA_DIR).
#
# The API token comes from TORRUS_API_TOKEN; without it, one is generated once and kept in
# <data dir>/api-token (mode 600), so it never appears in a log or on the command line.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh
swift build -c release --product torrusd

export TORRUS_DATA_DIR="${TORRUS_DATA_DIR:-$PWD/data}"
mkdir -p "$TORRUS_DATA_DIR"
if [ -z "${TORRUS_API_TOKEN:-}" ]; then
    token_file="$TORRUS_DATA_DIR/api-token"
    if [ ! -s "$token_file" ]; then
        (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$token_file")
        echo "run.sh: generated an API token in $token_file" >&2
    fi
    TORRUS_API_TOKEN="$(cat "$token_file")"
    export TORRUS_API_TOKEN
    echo "run.sh: using the API token in $token_file (curl -H \"Authorization: Bearer \$(cat $token_file)\" ...)" >&2
fi
exec "$(swift build -c release --show-bin-path)/torrusd" "$@"
