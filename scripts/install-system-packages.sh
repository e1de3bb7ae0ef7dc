#!/usr/bin/env bash
# Installs the Debian packages the test suite uses when they are missing:
# - PostgreSQL server binaries (the suite starts its own throwaway server from them);
# - FFmpeg development files and a build toolchain, to build vPDQ (video hashing);
# - Chromium, which the browser tests (tests/browser/) drive through Playwright.
set -euo pipefail

missing=()
if ! { ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1; }; then
    missing+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1; then
    missing+=(chromium)
fi
for package in libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev \
    libavfilter-dev libswresample-dev pkg-config cmake g++; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing ${missing[*]} and no apt-get here: PostgreSQL, video and browser tests may be skipped." >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "Missing ${missing[*]} and not root: PostgreSQL, video and browser tests may be skipped." >&2
        exit 0
    fi
fi
echo "Installing Debian packages for the test suite: ${missing[*]} ..." >&2
if ! { $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null; }; then
    echo "Could not install ${missing[*]}: PostgreSQL, video and browser tests may be skipped." >&2
fi
