#!/usr/bin/env bash
# The whole test suite: installs the system packages it needs (Debian 12), then runs every test.
# This is the README's test command and exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh
# Formatting is part of the contract: `swift format -i -r Sources Tests Package.swift` fixes it.
swift format lint --strict -r Sources Tests Package.swift
scripts/check-docker.sh
# The webhook tests verify every delivery with the Standard Webhooks reference library (PyPI).
if ! python3 -c 'import standardwebhooks' 2>/dev/null; then
    command -v pip >/dev/null 2>&1 || python3 -m pip --version >/dev/null 2>&1 \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
    # Debian's own Python refuses user packages unless told (PEP 668); others ignore the flag.
    python3 -m pip install -q --root-user-action=ignore standardwebhooks >/dev/null 2>&1 \
        || python3 -m pip install -q --root-user-action=ignore --break-system-packages standardwebhooks >/dev/null
fi
swift test "$@"
