#!/usr/bin/env bash
# Installs the system packages Torrus needs on Debian 12 (bookworm):
#   libcurl4-openssl-dev >= 8.11 from bookworm-backports (WebSocket support), aria2, libsqlite3-dev.
# Idempotent and quiet when everything is already there. Needs root (or sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

curl_ok() {
    command -v curl-config >/dev/null 2>&1 || return 1
    curl-config --protocols 2>/dev/null | grep -qw WS || return 1
    # version as a number: 8.11.0 -> 0x080b00
    local v; v=$(curl-config --vernum 2>/dev/null || echo 0)
    [ $((16#$v)) -ge $((16#080b00)) ]
}

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if curl_ok && command -v aria2c >/dev/null 2>&1 && have_pkg libsqlite3-dev; then
    exit 0
fi

# Enable bookworm-backports from the machine's own Debian entry (same URI, same key).
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    uri="" key=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        uri=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
        key=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1=="deb" && $0 ~ /bookworm/ && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^(http|https|file):/) {print $i; exit}}' /etc/apt/sources.list)
    fi
    uri=${uri:-http://deb.debian.org/debian}
    key=${key:-/usr/share/keyrings/debian-archive-keyring.gpg}
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' "$uri" "$key" \
        | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq -t bookworm-backports libcurl4-openssl-dev >/dev/null
$SUDO apt-get install -y -qq aria2 libsqlite3-dev >/dev/null

curl_ok || { echo "setup: libcurl with WebSocket support (>= 8.11) is still missing" >&2; exit 1; }
command -v aria2c >/dev/null || { echo "setup: aria2c is still missing" >&2; exit 1; }
