#!/usr/bin/env bash
# The whole test suite: installs the system packages it needs (Debian 12), then runs every test.
# This is the README's test command and exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh
# Formatting is part of the contract: `swift format -i -r Sources Tests Package.swift` fixes it.
swift format lint --strict -r Sources Tests Package.swift
scripts/check-docker.sh
# From PyPI: the webhook tests verify every delivery with the Standard Webhooks reference library;
# the API contract is checked with openapi-spec-validator, jsonschema and schemathesis.
pypi() {
    python3 -c "import $1" 2>/dev/null && return
    command -v pip >/dev/null 2>&1 || python3 -m pip --version >/dev/null 2>&1 \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
    # Debian's own Python refuses user packages unless told (PEP 668); others ignore the flag.
    python3 -m pip install -q --root-user-action=ignore "$2" >/dev/null 2>&1 \
        || python3 -m pip install -q --root-user-action=ignore --break-system-packages "$2" >/dev/null
}
pypi standardwebhooks standardwebhooks
pypi openapi_spec_validator "openapi-spec-validator>=0.7"
pypi jsonschema "jsonschema>=4.18"
pypi schemathesis "schemathesis>=4.32,<5"

# The API contract (Sources/Torrus/API/openapi.json): a valid OpenAPI 3.1 document, every response
# the tests see matches it (they record them in TORRUS_CONTRACT_LOG), and schemathesis fuzzing a
# real torrusd finds no 5xx and nothing undocumented (scripts/contract.sh; skipped when arguments
# narrow the run, e.g. scripts/test.sh --filter TorrusTests).
python3 Tests/Support/contract.py validate
contract_log=$(mktemp -d)
trap 'rm -rf "$contract_log"' EXIT
TORRUS_CONTRACT_LOG="$contract_log" swift test "$@"
if [ "$#" -eq 0 ]; then
    # The whole suite makes thousands of requests: far fewer means the recording broke.
    python3 Tests/Support/contract.py check "$contract_log" --at-least 1000
    scripts/contract.sh
else
    python3 Tests/Support/contract.py check "$contract_log"
fi
