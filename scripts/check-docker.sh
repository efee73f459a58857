#!/usr/bin/env bash
# Validates docker/ without a Docker engine: Debian's docker-compose parses and checks the compose
# file, and PyPI's `dockerfile` (Docker's own parser) parses each Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker-compose >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1
fi
python3 -c 'import dockerfile' 2>/dev/null || pip install -q --root-user-action=ignore dockerfile >/dev/null

TORRUS_API_TOKEN=check ARIA2_SECRET=check docker-compose -f docker/compose.yaml config >/dev/null
python3 - <<'PY'
import dockerfile, sys
for path in ["docker/Dockerfile", "docker/aria2.Dockerfile"]:
    commands = [c.cmd for c in dockerfile.parse_file(path)]
    for required in ("FROM", "ENTRYPOINT"):
        if required not in commands:
            sys.exit(f"{path}: no {required}")
print("docker/: compose file and Dockerfiles parse")
PY
