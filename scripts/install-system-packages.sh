#!/usr/bin/env bash
# Installs the Debian packages the test suite uses when they are missing:
# PostgreSQL server binaries (the suite starts its own throwaway server from them).
set -euo pipefail

have_postgres() {
    ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1
}

if have_postgres; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL server binaries missing and no apt-get here: PostgreSQL tests will be skipped." >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "PostgreSQL server binaries missing and not root: PostgreSQL tests will be skipped." >&2
        exit 0
    fi
fi
echo "Installing Debian's postgresql package for the test suite ..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
