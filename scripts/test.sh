#!/usr/bin/env bash
# The whole test suite: installs the system packages it needs (Debian 12), then runs every test.
# This is the README's test command and exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh
# Formatting is part of the contract: `swift format -i -r Sources Tests Package.swift` fixes it.
swift format lint --strict -r Sources Tests Package.swift
scripts/check-docker.sh
swift test "$@"
