#!/bin/sh
# Install the Debian 12 packages aicost needs to build, test and run.
# Idempotent: does nothing when everything is present. Runs as root (or via sudo).
set -eu
PKGS="build-essential pkg-config libsqlite3-dev sqlite3 zlib1g-dev libzstd-dev zstd libjansson-dev \
libyaml-dev libssl-dev libcurl4-openssl-dev libevent-dev libcmocka-dev clang libclang-rt-14-dev time python3 ca-certificates \
chromium wrk curl clickhouse-server valgrind openssl redis-server libhiredis-dev nghttp2-proxy"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js (for the DuckDB peer in bench/) may come from another repository;
# only ask Debian for it when no node/npm is on PATH.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
